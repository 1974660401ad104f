"""The build (raw/embedded/synthetic -> parquet + manifest) and the ``lvrn`` command line.

The full default build (no raw files: embedded real police data, and synthetic
twins of every registered source) runs once for the module. A second, identical
build runs at the same time in a subprocess (on the second core) from another
folder, and every output is compared byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import lvrn_analysis
from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.config.geography import local_authorities
from lvrn_analysis.processed.build import build, read_manifest
from lvrn_analysis.sources import police
from lvrn_analysis.sources.validation import WEIGHT

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "police"
SHARED_POLICE = ROOT.parent / "shared" / "reference" / "police"
EMBEDDED_LABEL = "lvrn_analysis/reference/police/lancashire_street_aggregate.csv.gz"
FORCE = "Lancashire Constabulary"
MISSING = ["2019-03", "2019-04", "2019-05", "2019-06", "2019-07", "2019-08", "2019-09",
           "2019-10", "2019-11", "2020-06", "2020-08", "2020-09"]
#: Published row counts (reference README sections 2 and 8).
PUBLISHED_ROWS = {"2018-11": 17_135, "2018-12": 15_379, "2019-01": 15_402, "2019-02": 15_034,
                  "2019-12": 14_748, "2020-02": 15_344, "2020-04": 20_553}
COMMITTED = ["2019-12", "2020-02", "2020-04"]
LEICS_FILE = DATA / "2020-02-leicestershire-street.csv.gz"


def lancs_file(month: str) -> Path:
    return DATA / f"{month}-lancashire-street.csv.gz"


def gunzip_sha(path: Path) -> str:
    with gzip.open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def run_build(folder: Path, area, **kwargs):
    """Build with relative folder names from inside ``folder`` (as `lvrn build` does)."""
    folder.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        return build(area, raw_dir="raw", out_dir="out", synthetic_dir="syn", progress=False,
                     **kwargs)


def output_files(folder: Path) -> dict[str, bytes]:
    """Every output file (the build cache in ``out/.cache/`` is not an output)."""
    out = folder / "out"
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(out).parts}


BUILD_SCRIPT = """\
from lvrn_analysis.processed.build import build
from lvrn_analysis.config.areas import load_area
build(load_area(), raw_dir="raw", out_dir="out", synthetic_dir="syn", progress=False)
"""


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two default builds, each from its own folder: one here, one in a subprocess."""
    a = tmp_path_factory.mktemp("full_a")
    b = tmp_path_factory.mktemp("full_b")
    proc = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT], cwd=b,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        report = run_build(a, load_area())
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"second build failed:\n{err[-4000:]}"
    return a, b, report


@pytest.fixture(scope="module")
def full(builds):
    a, _, report = builds
    return a, report, read_manifest(a / "out")


# ------------------------------------------------------------------ (a) default build


def test_origins(full):
    _, report, manifest = full
    origins = manifest["origins"]
    assert origins["police_street"] == "real (embedded data.police.uk aggregate)"
    assert origins["police_street_synthetic"] == "synthetic"
    assert all(o.startswith(("real", "synthetic")) for o in origins.values()), origins
    assert report.origins == origins
    assert manifest["area"]["id"] == "lancashire"
    assert manifest["lvrn_analysis_version"] == lvrn_analysis.__version__


def test_manifest_accounting(full):
    _, report, manifest = full
    for rec in manifest["inputs"]:
        assert rec["rows_in"] == rec["rows_kept"] + rec["rows_rejected"], rec["file"]
        assert sum(rec["rejected_by_reason"].values()) == rec["rows_rejected"], rec["file"]
        if rec["table"].startswith("police_street"):
            assert set(rec["rejected_by_reason"]) <= set(police.REASONS)
    totals = manifest["totals"]
    assert totals["rows_in"] == totals["rows_kept"] + totals["rows_rejected"]
    for k in ("rows_in", "rows_kept", "rows_rejected"):
        assert totals[k] == sum(r[k] for r in manifest["inputs"])
    assert report.totals() == totals


def test_real_inputs_are_the_36_embedded_months(full):
    _, _, manifest = full
    real = [r for r in manifest["inputs"] if r["table"] == "police_street"]
    assert len(real) == 36
    months = []
    for r in real:
        head, _, member = r["file"].partition("!")
        assert head == EMBEDDED_LABEL
        assert re.fullmatch(r"\d{4}-\d{2}-lancashire-street\.csv", member)
        assert r["origin"] == "real (embedded data.police.uk aggregate)"
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"])
        months.append(member[:7])
    assert len(set(months)) == 36
    assert not set(months) & set(MISSING)
    rows = {r["file"].split("!")[1][:7]: r["rows_in"] for r in real}
    for m, n in PUBLISHED_ROWS.items():
        assert rows[m] == n, m
    sha = {r["file"].split("!")[1][:7]: r["sha256"] for r in real}
    for m in COMMITTED:
        assert sha[m] == gunzip_sha(lancs_file(m)), m


def test_real_input_hashes_match_the_original_files(full):
    if not SHARED_POLICE.is_dir():
        pytest.skip(f"{SHARED_POLICE} is absent: cannot hash the 36 original files")
    _, _, manifest = full
    sha = {r["file"].split("!")[1]: r["sha256"] for r in manifest["inputs"]
           if r["table"] == "police_street"}
    originals = {p.name.removesuffix(".gz"): gunzip_sha(p)
                 for p in sorted(SHARED_POLICE.glob("*-lancashire-street.csv.gz"))}
    assert sha == originals


def test_missing_months(full):
    folder, report, manifest = full
    assert manifest["police_missing_months"] == {FORCE: MISSING}
    assert report.missing_months == {FORCE: MISSING}
    cov = pd.read_parquet(folder / "out" / "police_street_months.parquet")
    assert cov["month"].min() == pd.Timestamp("2018-11-01")
    assert cov["month"].max() == pd.Timestamp("2022-10-01")
    assert len(cov) == 48
    missing = cov.loc[cov["status"] == "missing", "month"].dt.strftime("%Y-%m").tolist()
    assert missing == MISSING


def test_every_output_exists_with_its_hash(full):
    folder, _, manifest = full
    listed = manifest["outputs"]
    assert "out/police_street.parquet" in listed
    assert "out/quarantine/police_street.parquet" in listed
    for rel, rec in listed.items():
        assert not Path(rel).is_absolute(), rel
        p = folder / rel
        assert p.is_file(), rel
        assert hashlib.sha256(p.read_bytes()).hexdigest() == rec["sha256"], rel
        if p.suffix == ".parquet":
            assert len(pd.read_parquet(p)) == rec["rows"], rel
    on_disk = {p.relative_to(folder).as_posix() for p in (folder / "out").rglob("*.parquet")}
    assert on_disk == {k for k in listed if k.endswith(".parquet")}


def test_manifest_holds_no_absolute_paths_or_dates(full):
    folder, _, _ = full
    text = (folder / "out" / "manifest.json").read_text(encoding="utf-8")
    assert str(folder) not in text
    assert str(ROOT) not in text
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:", text)


def test_tables_agree_with_the_manifest(full):
    folder, _, manifest = full
    out = folder / "out"
    for table in ("police_street", "police_street_synthetic"):
        recs = [r for r in manifest["inputs"] if r["table"] == table]
        kept = pd.read_parquet(out / f"{table}.parquet")
        assert int(kept["count"].sum()) == sum(r["rows_kept"] for r in recs), table
        assert set(kept["origin"]) == {manifest["origins"][table]}
        assert "crime_id" not in kept.columns and "location" not in kept.columns
        q = pd.read_parquet(out / "quarantine" / f"{table}.parquet")
        assert int(q[WEIGHT].astype("int64").sum()) == sum(r["rows_rejected"] for r in recs)
        by_reason = q.groupby("reason")[WEIGHT].apply(lambda s: int(s.astype("int64").sum()))
        expected: dict[str, int] = {}
        for r in recs:
            for k, v in r["rejected_by_reason"].items():
                expected[k] = expected.get(k, 0) + v
        assert by_reason.to_dict() == expected


def test_embedded_counts_equal_the_raw_files(full, tmp_path):
    folder, _, _ = full
    kept = pd.read_parquet(folder / "out" / "police_street.parquet")
    area = load_area()
    for m in COMMITTED:
        (res,) = police.load_police_path(lancs_file(m), area)
        got = kept[kept["month"] == pd.Timestamp(f"{m}-01")]
        assert int(got["count"].sum()) == res.rows_kept, m
        assert (got.groupby("crime_type")["count"].sum().to_dict()
                == res.kept.groupby("crime_type")[WEIGHT].sum().to_dict()), m


def test_synthetic_inputs_and_ground_truth(full):
    folder, report, manifest = full
    syn = [r for r in manifest["inputs"] if r["table"] == "police_street_synthetic"]
    names = [r["file"] for r in syn]
    expected = [f"syn/police/{m}-lancashire-street.csv"
                for m in pd.period_range("2016-01", "2022-10", freq="M").strftime("%Y-%m")]
    assert names == expected
    for r in syn:
        assert r["origin"] == "synthetic"
        assert r["sha256"] == hashlib.sha256((folder / r["file"]).read_bytes()).hexdigest()
    truth = json.loads((folder / "out" / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth == report.ground_truth
    level = [t for t in truth if t.get("effect") == "level"]
    assert [(t["area_code"], t["crime_type"], t["start"], t["rate_ratio"]) for t in level] == [
        ("E06000009", "Violence and sexual offences", "2019-10", 0.85)]
    assert any(t.get("effect") == "none" for t in truth)
    syn_cov = pd.read_parquet(folder / "out" / "police_street_synthetic_months.parquet")
    assert len(syn_cov) == 82 and (syn_cov["status"] == "present").all()


# ------------------------------------------------------------------ (b) determinism


def test_two_builds_are_byte_identical(builds):
    a, b, _ = builds
    fa, fb = output_files(a), output_files(b)
    assert sorted(fa) == sorted(fb)
    assert "manifest.json" in fa and "ground_truth.json" in fa
    assert {"police_street.parquet", "police_street_synthetic.parquet",
            "quarantine/police_street.parquet"} <= set(fa)
    different = [name for name in fa if fa[name] != fb[name]]
    assert not different, f"outputs differ between two identical builds: {different}"


def test_synthetic_inputs_are_byte_identical(builds):
    a, b, _ = builds
    files = sorted(p.relative_to(a) for p in (a / "syn").rglob("*") if p.is_file())
    assert len(files) >= 82
    assert files == sorted(p.relative_to(b) for p in (b / "syn").rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


# ------------------------------------------------------------------ (c) raw files


@pytest.fixture(scope="module")
def raw_build(tmp_path_factory, full):
    """Three real months dropped in raw/police, built into a copy of the full output."""
    folder = tmp_path_factory.mktemp("raw")
    (folder / "raw" / "police").mkdir(parents=True)
    for m in COMMITTED:
        shutil.copy(lancs_file(m), folder / "raw" / "police")
    shutil.copytree(full[0] / "out", folder / "out")  # stale outputs must go
    report = run_build(folder, load_area(), synthetic=False)
    return folder, report, read_manifest(folder / "out")


def test_raw_files_replace_the_embedded_data(raw_build):
    folder, report, manifest = raw_build
    assert manifest["origins"]["police_street"] == "real"
    assert "police_street_synthetic" not in manifest["origins"]
    recs = [r for r in manifest["inputs"] if r["table"] == "police_street"]
    files = [r["file"] for r in recs]
    assert files == [f"raw/police/{m}-lancashire-street.csv.gz" for m in COMMITTED]
    for r in recs:
        m = Path(r["file"]).name[:7]
        assert r["origin"] == "real"
        assert r["sha256"] == gunzip_sha(lancs_file(m))
        assert r["rows_in"] == PUBLISHED_ROWS[m]
        assert r["rows_in"] == r["rows_kept"] + r["rows_rejected"]
    assert manifest["police_missing_months"] == {FORCE: ["2020-01", "2020-03"]}
    kept = pd.read_parquet(folder / "out" / "police_street.parquet")
    assert set(kept["origin"]) == {"real"}
    assert sorted(kept["month"].dt.strftime("%Y-%m").unique()) == COMMITTED
    assert int(kept["count"].sum()) == sum(r["rows_kept"] for r in recs)


def test_rebuild_removes_stale_outputs(raw_build):
    folder, _, manifest = raw_build
    on_disk = {p.relative_to(folder).as_posix() for p in (folder / "out").rglob("*.parquet")}
    assert on_disk == {k for k in manifest["outputs"] if k.endswith(".parquet")}
    assert not (folder / "out" / "police_street_synthetic.parquet").exists()


# ------------------------------------------------------------------ (e) Leicestershire


@pytest.fixture(scope="module")
def leics_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leics")
    (folder / "raw" / "police").mkdir(parents=True)
    shutil.copy(LEICS_FILE, folder / "raw" / "police")
    area = load_area("leicestershire")
    report = run_build(folder, area, synthetic=False)
    return folder, area, report, read_manifest(folder / "out")


def test_leicestershire_real_build(leics_build):
    folder, area, _, manifest = leics_build
    assert manifest["area"]["id"] == "leicestershire"
    assert manifest["origins"]["police_street"] == "real"
    (rec,) = [r for r in manifest["inputs"] if r["table"] == "police_street"]
    assert rec["rows_in"] == rec["rows_kept"] + rec["rows_rejected"]
    assert rec["sha256"] == gunzip_sha(LEICS_FILE)
    assert "other_force" not in rec["rejected_by_reason"]
    kept = pd.read_parquet(folder / "out" / "police_street.parquet")
    assert set(kept["force"]) == {"Leicestershire Police"}
    placed = set(kept.loc[kept["geo_status"] == "in_area", "la_code"])
    assert placed == set(area.authorities)
    q = pd.read_parquet(folder / "out" / "quarantine" / "police_street.parquet")
    outside = q[q["reason"] == "lsoa_outside_area"]
    names = tuple(local_authorities(area)["la_name"] + " ")
    assert len(outside) == rec["rejected_by_reason"].get("lsoa_outside_area", 0)
    assert not outside["lsoa_name"].astype(str).str.startswith(names).any()
    assert manifest["police_missing_months"] == {"Leicestershire Police": []}


# ------------------------------------------------------------------ (f) comparator areas

COMPARATORS = "police_street_comparators"
LEICS_EMBEDDED_LABEL = "lvrn_analysis/reference/police/leicestershire_street_aggregate.csv.gz"
LEICS_MONTHS = pd.period_range("2019-12", "2022-10", freq="M").strftime("%Y-%m").tolist()


def _comparator_accounting(folder: Path, manifest: dict) -> list[dict]:
    """Check that the comparator table, its quarantine and the manifest agree row for row."""
    recs = [r for r in manifest["inputs"] if r["table"] == COMPARATORS]
    assert recs
    for r in recs:
        assert r["rows_in"] == r["rows_kept"] + r["rows_rejected"], r["file"]
        assert sum(r["rejected_by_reason"].values()) == r["rows_rejected"], r["file"]
        assert set(r["rejected_by_reason"]) <= set(police.REASONS)
    out = folder / "out"
    kept = pd.read_parquet(out / f"{COMPARATORS}.parquet")
    assert int(kept["count"].sum()) == sum(r["rows_kept"] for r in recs)
    assert set(kept["origin"]) == {manifest["origins"][COMPARATORS]}
    q = pd.read_parquet(out / "quarantine" / f"{COMPARATORS}.parquet")
    weights = q[WEIGHT].astype("int64") if WEIGHT in q else pd.Series(1, index=q.index)
    assert int(weights.sum()) == sum(r["rows_rejected"] for r in recs)
    expected: dict[str, int] = {}
    for r in recs:
        for k, v in r["rejected_by_reason"].items():
            expected[k] = expected.get(k, 0) + v
    assert weights.groupby(q["reason"]).sum().to_dict() == expected
    return recs


def test_area_files_name_each_other_as_comparators():
    from lvrn_analysis.config.areas import load_comparators

    lancs, leics = load_area(), load_area("leicestershire")
    assert lancs.comparators == ("leicestershire",)
    assert leics.comparators == ("lancashire",)
    assert [c.id for c in load_comparators(lancs)] == ["leicestershire"]
    both = set(lancs.authorities) | {a for c in load_comparators(lancs) for a in c.authorities}
    assert len(both) == 23


@pytest.mark.parametrize(("comparators", "message"), [
    ("[lancashire]", "names the area itself"),
    ("[leicestershire, leicestershire]", "names an area twice"),
    ("leicestershire", "must be a list"),
    ("[nowhere]", "unknown area 'nowhere'"),
    ("[same.yml]", "shares authorities"),
])
def test_bad_comparators_are_config_errors(tmp_path, comparators, message):
    from lvrn_analysis.config.areas import ConfigError, load_comparators

    text = (ROOT / "src" / "lvrn_analysis" / "areas" / "lancashire.yml").read_text(
        encoding="utf-8")
    (tmp_path / "same.yml").write_text(text.replace("id: lancashire", "id: same").replace(
        "comparators:\n  - leicestershire", "comparators: []"), encoding="utf-8")
    path = tmp_path / "area.yml"
    path.write_text(text.replace("comparators:\n  - leicestershire",
                                 f"comparators: {comparators}"), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_comparators(load_area(path))


def test_comparator_table_accounts_for_every_row(full):
    folder, report, manifest = full
    assert manifest["origins"][COMPARATORS] == "real (embedded data.police.uk aggregate)"
    recs = _comparator_accounting(folder, manifest)
    assert len(recs) == 35
    months = []
    for r in recs:
        head, _, member = r["file"].partition("!")
        assert head == LEICS_EMBEDDED_LABEL
        assert r["comparator"] == "leicestershire"
        assert r["origin"] == "real (embedded data.police.uk aggregate)"
        months.append(member[:7])
    assert months == LEICS_MONTHS
    kept = pd.read_parquet(folder / "out" / f"{COMPARATORS}.parquet")
    assert set(kept["force"].dropna()) == {"Leicestershire Police"}
    leics = load_area("leicestershire")
    assert set(kept.loc[kept["geo_status"] == "in_area", "la_code"]) == set(leics.authorities)
    cov = pd.read_parquet(folder / "out" / f"{COMPARATORS}_months.parquet")
    assert cov["month"].dt.strftime("%Y-%m").tolist() == LEICS_MONTHS
    assert (cov["status"] == "present").all()
    # the area's own tables are unchanged by the comparator: no Leicestershire row in them
    own = pd.read_parquet(folder / "out" / "police_street.parquet", columns=["force"])
    assert "Leicestershire Police" not in set(own["force"].dropna())
    assert manifest["police_missing_months"] == {FORCE: MISSING}
    assert any(n.startswith(f"{COMPARATORS}: comparator leicestershire") for n in report.notes)


def test_comparator_input_hashes_match_the_original_files(full):
    if not SHARED_POLICE.is_dir():
        pytest.skip(f"{SHARED_POLICE} is absent: cannot hash the original files")
    _, _, manifest = full
    sha = {r["file"].split("!")[1]: r["sha256"] for r in manifest["inputs"]
           if r["table"] == COMPARATORS}
    originals = {p.name.removesuffix(".gz"): gunzip_sha(p)
                 for p in sorted(SHARED_POLICE.glob("*-leicestershire-street.csv.gz"))}
    assert sha == originals


def test_comparator_raw_files_replace_its_embedded_data(tmp_path):
    folder = tmp_path / "b"
    (folder / "raw" / "comparators" / "leicestershire").mkdir(parents=True)
    shutil.copy(LEICS_FILE, folder / "raw" / "comparators" / "leicestershire")
    run_build(folder, load_area(), synthetic=False)
    manifest = read_manifest(folder / "out")
    assert manifest["origins"][COMPARATORS] == "real"
    (rec,) = _comparator_accounting(folder, manifest)
    assert rec["file"] == f"raw/comparators/leicestershire/{LEICS_FILE.name}"
    assert rec["sha256"] == gunzip_sha(LEICS_FILE)
    kept = pd.read_parquet(folder / "out" / f"{COMPARATORS}.parquet")
    assert kept["month"].dt.strftime("%Y-%m").unique().tolist() == ["2020-02"]


def test_default_build_with_one_raw_month_runs_end_to_end(tmp_path):
    (tmp_path / "raw" / "police").mkdir(parents=True)
    shutil.copy(LEICS_FILE, tmp_path / "raw" / "police")
    report = run_build(tmp_path, load_area("leicestershire"))
    assert report.origins["police_street"] == "real"
    assert report.origins["police_street_synthetic"] == "synthetic"
    # one dropped-in month cannot calibrate the twin: the embedded aggregate does, and says so
    assert any("embedded real aggregate" in n for n in report.notes)


# ------------------------------------------------------------------ (d) command line

LINE = re.compile(r"^(?P<file>\S+): police: rows in (?P<x>[\d,]+) = kept (?P<y>[\d,]+) "
                  r"\+ rejected (?P<z>[\d,]+)")


def _int(s: str) -> int:
    return int(s.replace(",", ""))


@pytest.mark.parametrize("month", COMMITTED)
def test_cli_validate_real_month(capsys, month):
    path = lancs_file(month)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    m = LINE.match(out.splitlines()[0])
    assert m, out
    assert m["file"] == str(path)
    x, y, z = _int(m["x"]), _int(m["y"]), _int(m["z"])
    assert x == y + z
    assert x == PUBLISHED_ROWS[month]


def test_cli_validate_by_crime_type(capsys):
    path = lancs_file("2020-02")
    assert main(["validate", "--by-crime-type", "police", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(duplicate_crime_id 5, lsoa_outside_area 45)" in out
    vso = next(ln for ln in out.splitlines() if "Violence and sexual offences" in ln)
    assert vso.split()[-4:] == ["4919", "710", "4888", "31"]


def test_cli_validate_option_after_source_name(capsys):
    path = lancs_file("2020-02")
    assert main(["validate", "police", "--by-crime-type", str(path)]) == 0
    assert "Violence and sexual offences" in capsys.readouterr().out


def test_cli_validate_leicestershire_area(capsys):
    assert main(["validate", "--area", "leicestershire", str(LEICS_FILE)]) == 0
    out = capsys.readouterr().out
    assert "other_force" not in out
    m = LINE.match(out.splitlines()[0])
    assert _int(m["x"]) == _int(m["y"]) + _int(m["z"])


def _bad_header_file(folder: Path) -> Path:
    cols = ("Month,Crime ID,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context")
    p = folder / "2020-02-lancashire-street.csv"
    p.write_text(cols + "\n,2020-02,a,b,,,c,,,Drugs,,\n", encoding="utf-8")
    return p


def test_cli_validate_bad_file_exits_1_with_one_line(capsys, tmp_path):
    bad = _bad_header_file(tmp_path)
    assert main(["validate", "police", str(bad)]) == 1
    cap = capsys.readouterr()
    lines = cap.out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}: UNUSABLE: ")
    assert "wrong order" in lines[0] and "row 1" in lines[0]


def test_cli_validate_mixed_files_reports_each(capsys, tmp_path):
    bad = _bad_header_file(tmp_path)
    good = lancs_file("2019-12")
    assert main(["validate", str(good), str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert LINE.match(lines[0])
    assert any(ln.startswith(f"{bad}: UNUSABLE") for ln in lines)


@pytest.mark.parametrize("content", [
    "year,month,aces,time\n2002,1,728,1\n",
    "foo,bar,baz\n1,2,3\n",
], ids=["sicily-like", "other-csv"])
def test_cli_validate_unknown_header_exits_1(capsys, tmp_path, content):
    p = tmp_path / "unknown.csv"
    p.write_text(content, encoding="utf-8")
    assert main(["validate", str(p)]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{p}: UNUSABLE: ")
    assert "header does not match any known source" in line


def test_cli_validate_missing_file(capsys, tmp_path):
    p = tmp_path / "nope.csv"
    assert main(["validate", str(p)]) == 1
    assert capsys.readouterr().out.strip() == f"{p}: UNUSABLE: file not found"


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("build", "validate", "site", "data/raw", "data/processed"):
        assert word in out, word


def test_cli_build_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["build", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("data/raw", "data/processed", "manifest.json", "--area", "--no-synthetic"):
        assert word in out, word


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"lvrn-analysis {lvrn_analysis.__version__}"


def test_cli_build_summary(capsys, tmp_path, monkeypatch):
    (tmp_path / "raw" / "police").mkdir(parents=True)
    shutil.copy(lancs_file("2020-02"), tmp_path / "raw" / "police")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--raw", "raw", "--out", "out", "--synthetic-dir", "syn",
                 "--no-synthetic", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+police_street\s+real\s+files\s+1\s+rows in\s+15,344 = kept\s+"
                     r"15,294 \+ rejected\s+50$", out, flags=re.M), out
    assert re.search(r"total rows in ([\d,]+) = kept ([\d,]+) \+ rejected ([\d,]+)", out)
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_cli_build_unusable_raw_file_exits_1(capsys, tmp_path, monkeypatch):
    (tmp_path / "raw" / "police").mkdir(parents=True)
    _bad_header_file(tmp_path / "raw" / "police")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--raw", "raw", "--out", "out", "--no-synthetic", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "2020-02-lancashire-street.csv" in err and "row 1" in err


def test_cli_its_with_placebos(capsys, tmp_path, processed):
    out = tmp_path / "its.csv"
    assert main(["its", "--processed", str(processed), "--placebos", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "placebo_p" in text and "Blackpool" in text
    res = pd.read_csv(out)
    ev = res[res["status"] == "evaluated"]
    assert len(ev) > 5 and ev["placebo_p"].between(0, 1).all()
    assert (ev["n_placebo"] > 10).all()
    blackpool = ev.loc[ev["area_code"] == "E06000009"].iloc[0]
    assert blackpool["verdict"] == "improved" and blackpool["placebo_p"] < 0.1
    assert res.loc[res["status"] != "evaluated", "placebo_p"].isna().all()


# ------------------------------------------------------------------ (e) the build cache


def test_rebuild_from_the_cache_gives_the_same_outputs(builds, tmp_path):
    """A second default build takes every file input from the cache; same bytes out.

    A copy of the subprocess's folder (outputs and cache) is built again here; its
    outputs, the manifest included, must equal those of the cold build in the other
    folder byte for byte. Which inputs came from the cache is in ``.cache/last-build.json``.
    """
    a, b, _ = builds
    c = tmp_path / "full_c"
    shutil.copytree(b, c)
    report = run_build(c, load_area())
    fa, fc = output_files(a), output_files(c)
    assert sorted(fa) == sorted(fc)
    assert [n for n in fa if fa[n] != fc[n]] == []
    assert "cache" not in json.loads(fc["manifest.json"])
    cache = json.loads((c / "out" / ".cache" / "last-build.json").read_text(encoding="utf-8"))
    assert len(cache["inputs_from_cache"]["police_street_synthetic"]) == 82
    assert cache["inputs_read"] == {} and cache["notes"] == []
    assert report.cache == cache


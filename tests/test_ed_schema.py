"""The ECDS/ISTV-aligned ED schema: real layouts, provider mappings, code-list provenance.

A file in the layout of an NHS England SUS ECDS extract (column names as in the TPP copy
of the SUS ECDS tables) must load with no row rejected, codes outside the shipped partial
SNOMED CT lists kept and counted; a provider's own extract must load through a YAML
mapping with no code change; ``lvrn validate ed FILE --mapping`` must report unmapped
columns and values once each with their counts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from lvrn_analysis._resources import reference_file
from lvrn_analysis.cli import main
from lvrn_analysis.config.areas import load_area
from lvrn_analysis.sources import ed, ed_mapping
from lvrn_analysis.sources.registry import detect
from lvrn_analysis.sources.validation import SourceError

#: A value outside every shipped code list; deliberately not a SNOMED CT identifier.
NOT_IN_LIST = "LOCAL-XYZ"

#: SUS ECDS flat names (the TPP copy of NHSE_ECDS.ECDS), in an extract's own order, with
#: columns the schema does not use (EC_Department_Type, Der_Dupe_Flag).
SUS_HEADER = ["EC_Ident", "Der_Dupe_Flag", "Site_Code_of_Treatment", "EC_Department_Type",
              "Der_EC_Arrival_Date_Time", "Age_At_Arrival", "Sex", "Der_Postcode_LSOA_Code",
              "EC_Arrival_Mode_SNOMED_CT", "EC_Chief_Complaint_SNOMED_CT", "EC_Injury_Date",
              "EC_Injury_Time", "EC_Injury_Intent_SNOMED_CT", "EC_Place_Of_Injury_SNOMED_CT",
              "EC_Place_Of_Injury_Latitude", "EC_Place_Of_Injury_Longitude",
              "Discharge_Destination_SNOMED_CT"]


@pytest.fixture(scope="module")
def area():
    return load_area("lancashire")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _sus_rows(n: int = 30) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append([
            str(9000 + i), "0", "RXL01", "1", f"2021-03-{1 + i % 28:02d} 2{i % 4}:15:00.000",
            str(18 + i % 40), "1" if i % 3 else "2", "e01012680" if i % 5 else "",
            "1048031000000100" if i % 2 else "1048001000000106",
            "82271004" if i % 4 else NOT_IN_LIST,
            f"2021-03-{1 + i % 28:02d}", "" if i % 6 == 0 else "19:05:00",
            "276853009" if i == 7 else NOT_IN_LIST, "",
            "53.8175" if i % 2 else "", "-3.0357" if i % 2 else "",
            "306706006" if i % 3 == 0 else "306689006",
        ])
    return rows


def test_sus_ecds_layout_loads_with_nothing_rejected(tmp_path, area):
    path = _write(tmp_path / "sus_extract.csv", SUS_HEADER, _sus_rows())
    assert detect(",".join(SUS_HEADER)).name == "ed"
    res = ed.load_ed(path, area)[0]
    res.check_accounting()
    assert res.rows_in == 30 and res.rows_rejected == 0, res.rejected
    k = res.kept.set_index("attendance_id")
    assert list(res.kept.columns) == list(ed.SCHEMA)
    # one date-time column with SQL milliseconds; LSOA upper-cased; authority derived
    assert k.loc["9001", "arrival_datetime"] == pd.Timestamp("2021-03-02 21:15")
    assert k.loc["9001", "residence_lsoa"] == "E01012680"
    assert k.loc["9001", "residence_la"] == "E06000009" and k.loc["9001", "resident_in_area"]
    # codes outside the partial SNOMED CT lists are kept, grouped 'unmapped', counted once
    assert (k["presenting_complaint_group"] == ed_mapping.UNMAPPED).sum() == 8
    assert k.loc["9007", "injury_intent_group"] == "self_harm"
    assert k.loc["9001", "arrival_mode_group"] == "ambulance"
    assert k.loc["9000", "discharge_group"] == "admitted"
    note = next(n for n in res.notes if "not in the shipped code lists" in n)
    assert "presenting_complaint 8 row(s), 1 code(s)" in note
    assert "injury_intent 29 row(s)" in note
    # an injury date without a time is read as 00:00, with a note
    assert k.loc["9006", "incident_datetime"] == pd.Timestamp("2021-03-07")
    assert any("injury date without a time" in n for n in res.notes)
    assert k.loc["9001", "injury_latitude"] == pytest.approx(53.8175)
    assert any("EC_Department_Type" in n for n in res.notes)


def test_standard_layout_with_separate_date_and_time(tmp_path, area):
    row = {h: "" for h in ed.HEADER}
    row.update({"EC_Ident": "X1", "Site_Code_of_Treatment": "RXN02",
                "Arrival_Date": "14/02/2021", "Arrival_Time": "23:40:00",
                "Age_At_Arrival": "31", "Sex": "2", "Der_Postcode_LSOA_2011_Code": "E01025473",
                "Assault_Location_Type": "03", "Assault_Method": "05",
                "Assault_Location_Description": "outside a bar, Fishergate",
                "EC_Injury_Date": "2021-02-14", "EC_Injury_Time": "23:10"})
    path = _write(tmp_path / "std.csv", list(ed.HEADER), [[row[h] for h in ed.HEADER]])
    res = ed.load_ed(path, area)[0]
    assert res.rows_rejected == 0, res.rejected
    k = res.kept.iloc[0]
    assert k["arrival_datetime"] == pd.Timestamp("2021-02-14 23:40")
    assert k["incident_location_group"] == "licensed_premises"
    assert k["means_of_assault_group"] == "bottle_glass"
    assert k["assault_location_description"] == "outside a bar, Fishergate"
    assert k["alcohol_involved"] == "U" and k["residence_la"] == "E07000127"


def test_missing_arrival_names_the_ecds_column(tmp_path, area):
    hdr = [h for h in ed.HEADER if h not in ("Arrival_Date", "Arrival_Time")]
    path = _write(tmp_path / "noarr.csv", hdr, [["" for _ in hdr]])
    with pytest.raises(SourceError) as info:
        ed.load_ed(path, area)
    assert "Arrival_Date" in str(info.value) and info.value.column == "Arrival_Date"
    hdr = [h for h in ed.HEADER if h != "Sex"]
    with pytest.raises(SourceError, match=r"'Sex \(schema column sex\)'"):
        ed.load_ed(_write(tmp_path / "nosex.csv", hdr, [["" for _ in hdr]]), area)


# ------------------------------------------------------------------ provider mapping

#: A provider extract in the layout the shipped example mapping describes.
PROVIDER_HEADER = ["AttendanceNo", "PseudoPatient", "SiteCode", "ArrivalDate", "ArrivalTime",
                   "AgeYears", "Gender", "LSOA11", "ArrivalMode", "Complaint", "Diagnosis1",
                   "InjuryDate", "InjuryTime", "AssaultLocation", "AssaultLocationText",
                   "Weapon", "AlcoholFlag", "DrugFlag", "Outcome", "WardName", "Notes",
                   "TriageCategory"]


def _provider_rows(n: int) -> list[list[str]]:
    loc = ["HOME", "STREET", "PUB", "UNK"]
    wpn = ["FIST", "KNIFE", "UNK"]
    rows = []
    for i in range(n):
        rows.append([f"T{i:05d}", f"PP{i % 50}", "BVH", f"2022-{1 + i % 12:02d}-10", "22:30",
                     str(16 + i % 50), "MFU"[i % 3], "", "AMB" if i % 2 else "OWN",
                     "HEAD" if i % 3 else "LOCAL-FACE", "", "", "", loc[i % 4], "",
                     wpn[i % 3], "Yes" if i % 2 else "No", "", "HOME" if i % 4 else "ADMIT",
                     "Ward 3", "", "T3"])
    return rows


def test_example_mapping_loads_a_provider_extract(tmp_path, area):
    mapping = reference_file("ed/mapping_example.yml")
    path = _write(tmp_path / "trust.csv", PROVIDER_HEADER, _provider_rows(40))
    res = ed.load_ed(path, area, mapping=mapping)[0]
    res.check_accounting()
    assert res.rows_rejected == 0, res.rejected
    k = res.kept
    assert set(k["ed_site"]) == {"RXL01"}
    assert set(k["sex"]) == {"1", "2", "X"}
    assert set(k["arrival_mode_group"]) == {"ambulance", "own_transport"}
    assert (k["presenting_complaint_group"] == "facial_injury").sum() == 14  # code_lists
    assert set(k["means_of_assault_group"]) == {"body_part", "sharp_object", "unknown"}
    assert set(k["alcohol_involved"]) == {"Y", "N"} and set(k["drugs_involved"]) == {"U"}
    assert any("read with the mapping" in n for n in res.notes)


def test_mapping_beside_the_extract_is_used_by_the_build(tmp_path, area):
    path = _write(tmp_path / "trust.csv", PROVIDER_HEADER, _provider_rows(5))
    (tmp_path / "trust.mapping.yml").write_bytes(
        reference_file("ed/mapping_example.yml").read_bytes())
    res = ed.load_ed(path, area)[0]
    assert res.rows_rejected == 0 and len(res.kept) == 5


def test_mapping_report_counts_each_unmapped_value_once(tmp_path):
    rows = _provider_rows(3000)
    for i, r in enumerate(rows):  # 1,000 rows with a weapon code the mapping lacks
        if i % 3 == 0:
            r[15] = "BAT"
        if i % 10 == 0:
            r[8] = "HELI"
    path = _write(tmp_path / "trust.csv", PROVIDER_HEADER, rows)
    rep = ed_mapping.mapping_report(path, reference_file("ed/mapping_example.yml"))
    v = rep.unlisted.set_index(["schema_column", "value"])
    assert v.loc[("means_of_assault", "BAT"), "rows"] == 1000
    assert v.loc[("means_of_assault", "BAT"), "effect"] == "quarantined"
    assert v.loc[("arrival_mode", "HELI"), "rows"] == 300
    assert "kept with group 'unmapped'" in v.loc[("arrival_mode", "HELI"), "effect"]
    cols = rep.columns.set_index("header")
    assert cols.loc["TriageCategory", "how"] == "unmapped"
    assert cols.loc["TriageCategory", "non_blank"] == 3000
    assert cols.loc["WardName", "how"] == "ignored"
    assert cols.loc["Gender", "how"] == "mapping"
    text = rep.text()
    assert "unmapped column(s) (1): TriageCategory (3,000 non-blank)" in text
    assert "means_of_assault: 1,000 row(s) with 1 value(s) not in the code list, quarantined: " \
           "'BAT' (1,000)" in text
    assert len(text.splitlines()) < 20


def test_cli_validate_ed_with_mapping(tmp_path, capsys):
    path = _write(tmp_path / "trust.csv", PROVIDER_HEADER, _provider_rows(12))
    status = main(["validate", "ed", str(path), "--mapping",
                   str(reference_file("ed/mapping_example.yml"))])
    out = capsys.readouterr().out
    assert status == 0
    assert "ED mapping report (Example trust ED assault extract" in out
    assert "every coded value is in the code lists" in out
    assert "rows in 12 = kept 12 + rejected 0" in out


def test_bad_mapping_names_the_file_and_the_column(tmp_path):
    bad = tmp_path / "m.yml"
    bad.write_text("columns:\n  Foo: not_a_column\n")
    with pytest.raises(SourceError, match="not_a_column") as info:
        ed_mapping.load_mapping(bad)
    assert str(bad) in str(info.value)
    bad.write_text("colums: {}\n")
    with pytest.raises(SourceError, match="unknown key"):
        ed_mapping.load_mapping(bad)


# ------------------------------------------------------------------ provenance


def _readme_sources() -> set[str]:
    text = reference_file("ed/README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.M))


def test_every_code_says_whether_it_was_verified():
    codes = ed.code_list()
    assert set(codes["verified"]) <= {"secondary", "unidentified", "no"}
    assert not codes.duplicated(["field", "code"]).any()
    assert (codes["source"] != "").all()
    keys = _readme_sources()
    for src in codes["source"]:
        head = src.split(" ", 1)[0]
        assert head in keys or head in ("project", "stored"), src
    # an unverified code is never presented as a plain SNOMED CT code
    unverified = codes[codes["verified"] == "no"]
    assert unverified["code_system"].str.contains("unverified|local|flag|recalled|national",
                                                  regex=True).all()
    snomed = codes[codes["code_system"].str.startswith("SNOMED CT (ECDS")]
    assert (snomed["verified"] != "no").all()


def test_every_schema_column_states_its_standard_and_source():
    cols = ed_mapping.schema_columns()
    assert set(cols["verified"]) <= {"yes", "partly", "no"}
    assert set(cols["code_list"]) <= {"", "open", "closed"}
    keys = _readme_sources()
    for src in cols["source"]:
        assert all(s.strip() in keys | {"project"} for s in src.split(";")), src
    std = cols[cols["standard"].str.startswith("ECDS")]
    assert (std["verified"] == "yes").all()
    assert set(cols.loc[cols["required"] == "yes", "column"]) == {"ed_site", "age", "sex"}
    # every column an analysis groups by has a code list
    codes = set(ed.code_list()["field"])
    for c in ("arrival_mode", "presenting_complaint", "means_of_assault",
              "incident_location_type", "discharge", "sex"):
        assert c in codes

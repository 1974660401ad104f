"""Generate the bad-input corpus in this folder (files and expected.csv are committed).

Run from the repository root: ``python tests/data/bad/make_corpus.py``. It reads real files
from the repository and ``../shared/reference/police/`` and rewrites the corpus.
"""
# ruff: noqa: E501, E702, E731, E741, B023
import csv
import gzip
import io
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd

from lvrn_analysis.config.areas import load_area
from lvrn_analysis.synthetic import ed as ed_twin
from lvrn_analysis.synthetic.common import stable_zip

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parents[2]
SHARED = REPO.parent / "shared"
rows_expected = []

def w(rel, data, source, expected, reason, note):
    p = ROOT / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    rows_expected.append([rel, source, expected, reason, note])

def to_csv(header, rows, term="\r\n"):
    b = io.StringIO(newline="")
    cw = csv.writer(b, lineterminator=term)
    cw.writerow(header)
    for r in rows:
        cw.writerow(r)
    return b.getvalue()

HTML = "<!DOCTYPE html>\n<html><head><title>Error 404</title></head><body>Not found</body></html>\n"

# ---------------------------------------------------------------- fingertips
recs = list(csv.reader(open(REPO / "tests/data/fingertips/fingertips_93356_campylobacter_CountyUA.csv", newline="")))
fh, frows = recs[0], recs[1:7]   # includes embedded newlines in Indicator Name
S = "fingertips"
w("fingertips/ft_empty.csv", b"", S, "error", "empty", "zero-byte file")
w("fingertips/ft_html.csv", HTML, S, "error", "HTML", "a download error page saved as .csv")
w("fingertips/ft_missing_value_column.csv",
  to_csv([h for h in fh if h != "Value"], [r[:12] + r[13:] for r in frows]), S, "error", "Value",
  "the Value column is missing")
w("fingertips/ft_wrong_header.csv", to_csv(["Indicator", "Area", "Year", "Rate"], [["93356", "E06000008", "2015", "59.9"]]),
  S, "error", "missing required column", "not a Fingertips header at all")
t = to_csv(fh, frows)
w("fingertips/ft_truncated_last_line.csv", t + "93356,\"Campylobacter incidence rate/100,000\n\",E12000002,North West region,E06000009,Blackpool,County & UA,Persons,All ages,,,2015,71.2",
  S, "quarantine", "wrong_field_count", "download cut part-way through the last record")
w("fingertips/ft_unterminated_quote.csv", t + "93356,\"Campylobacter incidence rate/100,000\n",
  S, "quarantine", "truncated_record", "last record ends inside a quoted field")
bad = [r[:] for r in frows]; bad[2][11] = "2015/17"; bad[3][11] = "Q5 2015"
w("fingertips/ft_bad_time_period.csv", to_csv(fh, bad), S, "quarantine", "bad_time_period", "2015/17 and 'Q5 2015' are not periods")
bad = [r[:] for r in frows]; bad[1][12] = "n/a"
w("fingertips/ft_non_numeric_value.csv", to_csv(fh, bad), S, "quarantine", "bad_number", "Value 'n/a'")
bad = [r[:] for r in frows]; bad[0][17] = "-51897"
w("fingertips/ft_negative_count.csv", to_csv(fh, bad), S, "quarantine", "negative_count", "negative Count")
w("fingertips/ft_duplicate_rows.csv", to_csv(fh, frows + [frows[2]]), S, "quarantine", "duplicate_row", "a record repeated exactly")
bad = [r[:] for r in frows]; bad[4][23] = "2.02E+07"
w("fingertips/ft_excel_mangled_sortable.csv", to_csv(fh, bad), S, "quarantine", "excel_mangled", "Time period Sortable in scientific notation")
bad = [r[:] for r in frows]; bad[0][13] = "99.9"
w("fingertips/ft_ci_inconsistent.csv", to_csv(fh, bad), S, "quarantine", "ci_inconsistent", "lower limit above the value")
bad = [r[:] for r in frows]; bad[5][4] = "6000008"
w("fingertips/ft_bad_area_code.csv", to_csv(fh, bad), S, "quarantine", "bad_area_code", "area code lost its letter prefix")
cp = to_csv(fh, [r[:1] + ["Campylobacter incidence rate \u2013 per 100,000"] + r[2:] for r in frows])
w("fingertips/ft_cp1252.csv", cp.encode("cp1252"), S, "ok", "Windows-1252", "en dash in cp1252: read with a note")
w("fingertips/ft_bom_reordered.csv", ("\ufeff" + to_csv(fh[1:2] + fh[:1] + fh[2:], [r[1:2] + r[:1] + r[2:] for r in frows])).encode("utf-8"),
  S, "ok", "non-standard order", "UTF-8 BOM and two columns swapped: matched by name, with a note")

# ---------------------------------------------------------------- ed
area = load_area("lancashire")
tmp = Path(tempfile.mkdtemp())
ed_twin.synthesize(tmp, area)
erecs = list(csv.reader(open(tmp / "ed_assault_attendances.csv", newline="")))
eh, er = erecs[0], erecs[1:7]
S = "ed"
col = {c: i for i, c in enumerate(eh)}
def ed_bad(name, reason, note, mutate, expected="quarantine"):
    rows = [r[:] for r in er]
    mutate(rows)
    w(f"ed/{name}", to_csv(eh, rows, "\n"), S, expected, reason, note)
w("ed/ed_empty.csv", b"\n\n", S, "error", "empty", "only blank lines")
w("ed/ed_html.csv", HTML, S, "error", "HTML", "an error page saved as .csv")
w("ed/ed_missing_sex_column.csv", to_csv([("gender_identity" if h == "sex" else h) for h in eh], er, "\n"),
  S, "error", "sex", "'sex' renamed to an unknown column")
ed_bad("ed_impossible_date.csv", "bad_datetime", "arrival 2020-02-30", lambda r: r[1].__setitem__(col["arrival_datetime"], "2020-02-30 14:05"))
ed_bad("ed_mixed_dates.csv", "bad_datetime", "ISO, UK dd/mm and a US mm/dd date in one file",
       lambda r: (r[1].__setitem__(col["arrival_datetime"], "05/01/2016 10:30"), r[2].__setitem__(col["arrival_datetime"], "01/13/2016 11:00"),
                  r[3].__setitem__(col["arrival_datetime"], "14/01/2016 05:59"), r[4].__setitem__(col["arrival_datetime"], "15/01/2016 08:14")))
ed_bad("ed_age_out_of_range.csv", "age_out_of_range", "ages 130 and -1",
       lambda r: (r[0].__setitem__(col["age"], "130"), r[3].__setitem__(col["age"], "-1")))
ed_bad("ed_non_numeric_age.csv", "bad_age", "age 'twenty'", lambda r: r[2].__setitem__(col["age"], "twenty"))
ed_bad("ed_unknown_code.csv", "unknown_code", "means_of_assault 77 is not in the code list", lambda r: r[4].__setitem__(col["means_of_assault"], "77"))
ed_bad("ed_excel_scientific_code.csv", "excel_mangled_code", "arrival_mode 1.04803E+15 (Excel)", lambda r: r[0].__setitem__(col["arrival_mode"], "1.04803E+15"))
ed_bad("ed_leading_zero_dropped.csv", "excel_mangled_code", "incident_location_type '1' for '01'", lambda r: r[5].__setitem__(col["incident_location_type"], "1"))
ed_bad("ed_duplicate_rows.csv", "duplicate_row", "a row repeated exactly", lambda r: r.append(r[2][:]))
ed_bad("ed_duplicate_attendance_id.csv", "duplicate_attendance_id", "two attendances share an id",
       lambda r: r[4].__setitem__(col["attendance_id"], r[3][col["attendance_id"]]))
ed_bad("ed_site_outside_area.csv", "site_outside_area", "Leicester Royal Infirmary in a Lancashire file", lambda r: r[1].__setitem__(col["ed_site"], "RWEAA"))
ed_bad("ed_unknown_site.csv", "unknown_ed_site", "site code ZZZ99", lambda r: r[1].__setitem__(col["ed_site"], "ZZZ99"))
ed_bad("ed_incident_after_arrival.csv", "incident_after_arrival", "incident a day after arrival",
       lambda r: r[0].__setitem__(col["incident_datetime"], "2016-01-02 09:00"))
ed_bad("ed_bad_lsoa.csv", "bad_lsoa_code", "LSOA E1025473 lost a digit", lambda r: r[0].__setitem__(col["residence_lsoa"], "E1025473"))
ed_bad("ed_residence_mismatch.csv", "residence_mismatch", "LSOA in West Lancashire, LA says Preston",
       lambda r: (r[0].__setitem__(col["residence_lsoa"], "E01025473"), r[0].__setitem__(col["residence_la"], "E07000123")))
w("ed/ed_truncated_last_line.csv", to_csv(eh, er, "\n") + "A0000099,P0000001,RXL01,2016-01-03 02:1", S, "quarantine", "wrong_field_count",
  "last line cut off")

# ---------------------------------------------------------------- crime tables
S = "crime_tables"
CH = ["Financial Year", "Financial Quarter", "Force Name", "CSP Name", "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences"]
base = [
    ["2019/20", "Q1", "Lancashire", "Blackpool", "Assault with injury", "Violence against the person", "Violence with injury", "8N", "412"],
    ["2019/20", "Q1", "Lancashire", "Preston", "Assault with injury", "Violence against the person", "Violence with injury", "8N", "301"],
    ["2019/20", "Q1", "Lancashire", "Burnley", "Robbery of personal property", "Robbery", "Robbery of personal property", "34B", "19"],
    ["2019/20", "Q1", "Lancashire", "Blackburn with Darwen", "Murder", "Violence against the person", "Homicide", "1", "1"],
    ["2019/20", "Q1", "Lancashire", "Unassigned", "Assault without injury", "Violence against the person", "Violence without injury", "105A", "7"],
]
def ct_bad(name, reason, note, mutate, header=CH):
    rows = [r[:] for r in base]
    mutate(rows)
    w(f"crime_tables/{name}", to_csv(header, rows), S, "quarantine", reason, note)
w("crime_tables/csp_empty.csv", b"", S, "error", "empty", "zero bytes")
w("crime_tables/csp_html_saved_as_xlsx.xlsx", HTML, S, "error", "HTML", "an error page saved with an .xlsx name")
w("crime_tables/csp_truncated_download.xlsx", b"PK\x03\x04" + b"\x00" * 40, S, "error", "truncated or damaged", "a zip cut off after its first bytes")
w("crime_tables/csp_missing_count_column.csv", to_csv(CH[:-1], [r[:-1] for r in base]), S, "error", "Number of Offences", "no count column")
ct_bad("csp_negative_count.csv", "negative_count", "count -3", lambda r: r[2].__setitem__(8, "-3"))
ct_bad("csp_non_numeric_count.csv", "bad_count", "counts '12a' and '*'", lambda r: (r[0].__setitem__(8, "12a"), r[1].__setitem__(8, "*")))
ct_bad("csp_unknown_csp.csv", "unknown_csp", "CSP 'Blackpol' (typo)", lambda r: r[0].__setitem__(3, "Blackpol"))
ct_bad("csp_other_force.csv", "outside_area", "rows of Cumbria", lambda r: r.append(["2019/20", "Q1", "Cumbria", "Carlisle", "Assault with injury", "Violence against the person", "Violence with injury", "8N", "88"]))
ct_bad("csp_bad_financial_year.csv", "bad_financial_year", "financial year 2019/21", lambda r: r[1].__setitem__(0, "2019/21"))
ct_bad("csp_bad_quarter.csv", "bad_quarter", "quarter Q5", lambda r: r[1].__setitem__(1, "Q5"))
ct_bad("csp_duplicate_rows.csv", "duplicate_row", "a row repeated", lambda r: r.append(r[0][:]))
ct_bad("csp_duplicate_key.csv", "duplicate_key", "same CSP/code/quarter twice with different counts", lambda r: r.append(r[0][:8] + ["500"]))
ct_bad("csp_code_description_mismatch.csv", "code_description_mismatch", "code 4.1 with 'Corporate manslaughter' (4.10 read back as a number)",
       lambda r: r.append(["2019/20", "Q1", "Lancashire", "Preston", "Corporate manslaughter", "Violence against the person", "Homicide", "4.1", "1"]))
ct_bad("csp_excel_scientific_code.csv", "excel_mangled_code", "offence code 1E+01", lambda r: r[2].__setitem__(7, "1E+01"))
ct_bad("csp_header_drift_bad_code.csv", "bad_offence_code", "drifted header names (accepted) and an offence code 'N8'",
       lambda r: r[0].__setitem__(7, "N8"),
       header=["Financial Year", "Financial Quarter", "Police Force", "Community Safety Partnership", "Offence Description", "Offence Group", "Offence Subgroup", "Offence Code", "Offence Count"])
# workbooks
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("Notes"); ws.append(["This workbook has no data sheet"])
p = ROOT / "crime_tables/csp_no_data_sheet.xlsx"; p.parent.mkdir(parents=True, exist_ok=True); wb.save(p); stable_zip(p)
rows_expected.append(["crime_tables/csp_no_data_sheet.xlsx", S, "error", "no sheet has the expected header", "only a Notes sheet"])
wb = openpyxl.Workbook(write_only=True)
ws = wb.create_sheet("Notes"); ws.append(["Synthetic test workbook"])
ws = wb.create_sheet("FY 2019-20"); ws.append(["Recorded crime by CSP"]); ws.append([])
ws.append(CH)
for r in base:
    ws.append(r[:7] + [r[7] if not r[7].isdigit() else int(r[7]), int(r[8])])
ws.append(["2019/20", "Q2", "Lancashire", "Preston", "Manslaughter", "Violence against the person", "Homicide", 4.1, 1])
p = ROOT / "crime_tables/csp_numeric_code_cell.xlsx"; wb.save(p); stable_zip(p)
rows_expected.append(["crime_tables/csp_numeric_code_cell.xlsx", S, "quarantine", "ambiguous_numeric_code",
                      "title rows above the header (found); code 4.1 stored as a number (may be 4.10)"])
df = pd.DataFrame([r[:8] + [int(r[8])] for r in base] + [["2019/20", "Q1", "Lancashire", "Wyre", "Assault with injury", "Violence against the person", "Violence with injury", "8N", -4]], columns=CH)
p = ROOT / "crime_tables/csp_negative_count.ods"
with pd.ExcelWriter(p, engine="odf") as xw:
    df.to_excel(xw, sheet_name="2019-20", index=False)
rows_expected.append(["crime_tables/csp_negative_count.ods", S, "quarantine", "negative_count", "ODS workbook with a negative count"])

# ---------------------------------------------------------------- imd
S = "imd"
irecs = list(csv.reader(open(REPO / "src/lvrn_analysis/reference/geography/imd2019_ltla19.csv", newline="")))
ih, ir = irecs[0], irecs[1:8]
w("imd/imd_empty.csv", b"   \n", S, "error", "empty", "whitespace only")
w("imd/imd_html.csv", HTML, S, "error", "HTML", "an error page")
w("imd/imd_wrong_header.csv", to_csv(["code", "name", "deprivation"], [["E06000009", "Blackpool", "45.039"]]), S, "error", "Local Authority District code", "no district code / score columns")
b = [r[:] for r in ir]; b[2][1] = "high"
w("imd/imd_non_numeric_score.csv", to_csv(ih, b), S, "quarantine", "bad_number", "score 'high'")
w("imd/imd_duplicate_la.csv", to_csv(ih, ir + [ir[0]]), S, "quarantine", "duplicate_la_code", "a district twice")
b = [r[:] for r in ir]; b[1][0] = "6000002"
w("imd/imd_bad_la_code.csv", to_csv(ih, b), S, "quarantine", "bad_la_code", "code lost its 'E0' prefix")
b = [r[:] for r in ir]; b[3][1] = "145.2"
w("imd/imd_score_out_of_range.csv", to_csv(ih, b), S, "quarantine", "out_of_range", "score 145.2")
F10 = ["Local Authority District code (2019)", "Local Authority District name (2019)", "IMD - Average rank ", "IMD - Rank of average rank ", "IMD - Average score ", "IMD - Rank of average score ", "IMD - Proportion of LSOAs in most deprived 10% nationally ", "IMD - Rank of proportion of LSOAs in most deprived 10% nationally ", "IMD 2019 - Extent ", "IMD 2019 - Rank of extent ", "IMD 2019 - Local concentration ", "IMD 2019 - Rank of local concentration "]
f10 = [["E06000008", "Blackburn with Darwen", "", "", "36.013", "9", "0.3626", "", "0.5519", "", "", ""],
       ["E06000009", "Blackpool", "", "", "45.039", "1", "0.4149", "", "0.5766", "", "", ""]]
w("imd/imd_file10_trailing_spaces.csv", to_csv(F10, f10), S, "ok", "trailing spaces", "official File 10 headers with trailing spaces: read, with a note")

# ---------------------------------------------------------------- education
S = "education"
raw = open(REPO / "tests/data/education/2018-2019_888_ks4final.csv", encoding="utf-8-sig", newline="").read()
krecs = list(csv.reader(io.StringIO(raw, newline="")))
kh = krecs[0]
kc = {c: i for i, c in enumerate(kh)}
kr = [r + [""] * (len(kh) - len(r)) for r in krecs[1:5]]
def k_csv(rows, header=kh):
    return "\ufeff" + to_csv(header, rows)
def k_bad(name, reason, note, mutate):
    rows = [r[:] for r in kr]
    mutate(rows)
    w(f"education/{name}", k_csv(rows), S, "quarantine", reason, note)
w("education/2018-2019_888_ks4final_empty.csv", b"\xef\xbb\xbf", S, "error", "empty", "only a BOM")
w("education/2018-2019_888_ks4final_html.csv", HTML, S, "error", "HTML", "an error page")
w("education/2018-2019_888_ks4final_no_att8.csv", k_csv([[v for j, v in enumerate(r) if j != kc["ATT8SCR"]] for r in kr], [h for h in kh if h != "ATT8SCR"]),
  S, "error", "ATT8SCR", "ATT8SCR column missing")
w("education/ks4final_no_year_in_name.csv", k_csv(kr), S, "error", "academic year", "file name without YYYY-YYYY_LLL")
k_bad("2018-2019_888_ks4final_att8_out_of_range.csv", "out_of_range", "ATT8SCR 95.5", lambda r: r[0].__setitem__(kc["ATT8SCR"], "95.5"))
k_bad("2018-2019_888_ks4final_negative_pupils.csv", "negative_count", "TPUP -12", lambda r: r[1].__setitem__(kc["TPUP"], "-12"))
k_bad("2018-2019_888_ks4final_unknown_rectype.csv", "unknown_rectype", "RECTYPE 9", lambda r: r[2].__setitem__(kc["RECTYPE"], "9"))
k_bad("2018-2019_888_ks4final_duplicate_urn.csv", "duplicate_urn", "a school listed twice", lambda r: r.append(r[0][:]))
k_bad("2018-2019_888_ks4final_bad_percent.csv", "bad_number", "PTFSM6CLA1A '12 percent'", lambda r: r[0].__setitem__(kc["PTFSM6CLA1A"], "12 percent"))
k_bad("2018-2019_888_ks4final_more_disadvantaged_than_pupils.csv", "inconsistent_counts", "TFSM6CLA1A > TPUP",
      lambda r: r[1].__setitem__(kc["TFSM6CLA1A"], "900"))
k_bad("2018-2019_855_ks4final_other_area.csv", "outside_area", "Leicestershire LEA rows in a Lancashire build", lambda r: [x.__setitem__(kc["LEA"], "855") for x in r])
k_bad("2018-2019_888_ks4final_bad_urn.csv", "bad_urn", "URN 1.19E+05 (Excel)", lambda r: r[0].__setitem__(kc["URN"], "1.19E+05"))
w("education/2018-2019_888_ks4final_truncated.csv", k_csv(kr)[:-1] + ',"Trunc', S, "quarantine", "truncated_record", "file cut inside a quoted field")

# ---------------------------------------------------------------- programmes
S = "programmes"
precs = list(csv.reader(open(REPO / "src/lvrn_analysis/reference/programmes/programme_monitoring.csv", newline="")))
ph, pr = precs[0], precs[7:13]   # Box 1 rows
pc = {c: i for i, c in enumerate(ph)}
def p_bad(name, reason, note, mutate):
    rows = [r[:] for r in pr]
    mutate(rows)
    w(f"programmes/{name}", to_csv(ph, rows, "\n"), S, "quarantine", reason, note)
w("programmes/prog_empty.csv", b"", S, "error", "empty", "zero bytes")
w("programmes/prog_missing_citation.csv", to_csv([h for h in ph if h != "citation"], [[v for j, v in enumerate(r) if j != pc["citation"]] for r in pr], "\n"),
  S, "error", "citation", "no citation column")
p_bad("prog_bad_citation.csv", "bad_citation", "citation without a section", lambda r: r[0].__setitem__(pc["citation"], "LVRN report"))
p_bad("prog_percent_inconsistent.csv", "percent_inconsistent", "65.0% is not k/32", lambda r: r[1].__setitem__(pc["value"], "65.0"))
p_bad("prog_non_numeric_value.csv", "bad_number", "value 'about 30'", lambda r: r[2].__setitem__(pc["value"], "about 30"))
p_bad("prog_duplicate_key.csv", "duplicate_key", "same programme/period/measure twice", lambda r: r.append(r[0][:]))
p_bad("prog_bad_date.csv", "bad_date", "period_end 2020-06-31", lambda r: r[3].__setitem__(pc["period_end"], "2020-06-31"))
p_bad("prog_bad_unit.csv", "bad_unit", "unit 'people'", lambda r: r[0].__setitem__(pc["unit"], "people"))

# ---------------------------------------------------------------- police (for the lead's loader)
S = "police"
PH = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
lines = gzip.open(SHARED / "reference/police/2020-01-lancashire-street.csv.gz", "rt", newline="").read().splitlines()[1:9]
def pol(case, text, expected, reason, note):
    w(f"police/{case}/2020-01-lancashire-street.csv", text, S, expected, reason, note)
body = "\r\n".join(lines) + "\r\n"
pol("empty", "", "error", "empty", "zero bytes")
pol("html", HTML, "error", "HTML", "an error page saved with the real file name")
hdr = PH.split(","); hdr[9], hdr[10] = hdr[10], hdr[9]
pol("reordered_header", ",".join(hdr) + "\r\n" + body, "error", "wrong order", "Crime type and Last outcome category swapped in the header")
pol("missing_column", ",".join(h for h in PH.split(",") if h != "Crime type") + "\r\n" + "\r\n".join(",".join(c for j, c in enumerate(l.split(",")) if j != 9) for l in lines) + "\r\n",
    "error", "Crime type", "no Crime type column")
l2 = [l.replace(",2020-01,", ",2020-02,", 1) if i == 2 else l for i, l in enumerate(lines)]
pol("month_mismatch", PH + "\r\n" + "\r\n".join(l2) + "\r\n", "quarantine", "month_mismatch", "a 2020-02 row in the 2020-01 file")
l2 = [l.replace("E01012607", "E1012607") if i == 3 else l for i, l in enumerate(lines)]
pol("bad_lsoa_code", PH + "\r\n" + "\r\n".join(l2) + "\r\n", "quarantine", "bad_lsoa_code", "LSOA code lost a digit")
l2 = [l.replace("E01012607,Blackburn with Darwen 001A", "E01014370,Bath and North East Somerset 001A") if i == 4 else l for i, l in enumerate(lines)]
pol("lsoa_outside_area", PH + "\r\n" + "\r\n".join(l2) + "\r\n", "quarantine", "lsoa_outside_area", "an LSOA in Bath")
pol("duplicate_crime_id", PH + "\r\n" + body + lines[2] + "\r\n", "quarantine", "duplicate_crime_id", "a crime repeated")
pol("truncated_last_line", PH + "\r\n" + body + lines[3][:60], "quarantine", "malformed_row", "last line cut off")

with open(ROOT / "expected.csv", "w", newline="") as fh_:
    cw = csv.writer(fh_, lineterminator="\n")
    cw.writerow(["file", "source", "expected", "reason", "note"])
    for r in rows_expected:
        cw.writerow(r)
print(f"{len(rows_expected)} files listed in {ROOT / 'expected.csv'}")

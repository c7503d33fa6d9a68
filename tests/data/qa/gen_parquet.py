"""Writes the Parquet variants of tests/qa_ingest.rs: each is the bundled sample's
gmv_daily (or a small file) as a warehouse would write it. Run from the repository root:
python3 tests/data/qa/gen_parquet.py tests/data/qa  (DuckDB 2.x)."""
import os
import sys

import duckdb

out = sys.argv[1]
# The rows of three partners of the sample keep the files small.
PARTNERS = ("P03", "P04", "P08")
os.makedirs(out, exist_ok=True)
src = "fixtures/q4-sample/gmv_daily.csv"
con = duckdb.connect()
con.execute(
    f"create table g as select * from read_csv('{src}', all_varchar=true, header=true) "
    f"where partner_id in {PARTNERS}"
)


def money(col, ty):
    return f"cast({col} as {ty}) as {col}"


AMOUNTS = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]


def write(name, select, opts):
    path = os.path.join(out, name + ".parquet")
    con.execute(f"copy ({select}) to '{path}' (format parquet, {opts})")


def amounts_as(ty):
    return ", ".join(money(a, ty) for a in AMOUNTS)


base = "cast(date as date) as date, partner_id, seller_id"
variants = {
    "dec18_zstd": (f"select {base}, {amounts_as('decimal(18,2)')} from g", "compression zstd"),
    "dec9_gzip_v2": (f"select {base}, {amounts_as('decimal(9,2)')} from g", "compression gzip, parquet_version v2"),
    "dec38_4_zstd": (f"select {base}, {amounts_as('decimal(38,4)')} from g", "compression zstd"),
    "dec18_3_tiny_groups": (f"select {base}, {amounts_as('decimal(18,3)')} from g", "row_group_size 100"),
    "cents_bigint_v2": (
        f"select {base}, "
        + ", ".join(f"cast(round(cast({a} as decimal(18,2))*100) as bigint) as {a}" for a in AMOUNTS)
        + " from g",
        "parquet_version v2, row_group_size 1000",
    ),
    "cents_int_uncompressed": (
        f"select {base}, "
        + ", ".join(f"cast(round(cast({a} as decimal(18,2))*100) as integer) as {a}" for a in AMOUNTS)
        + " from g",
        "compression uncompressed",
    ),
    # Text amounts as a report writes them, ISO dates as text, ids padded with spaces.
    "text_dollars_padded": (
        "select date, ' ' || partner_id || '  ' as partner_id, seller_id || ' ' as seller_id, "
        + ", ".join(
            f"'$' || format('{{:,.2f}}', cast({a} as double)) as {a}" for a in AMOUNTS
        )
        + " from g",
        "row_group_size 2048, parquet_version v2",
    ),
    # Many distinct (seller) ids and a tiny dictionary page: the writer falls back to
    # plain pages in the middle of a chunk.
    "duck_dict_overflow": (
        f"select {base}, {amounts_as('decimal(18,2)')} from g order by seller_id, date",
        "string_dictionary_page_size_limit 64, row_group_size 100000",
    ),
    "one_group_shuffled": (
        f"select {base}, {amounts_as('decimal(18,2)')} from g order by hash(date || seller_id)",
        "row_group_size 1000000, compression zstd",
    ),
}
for name, (select, opts) in variants.items():
    write(name, select, opts)

# Small files with one awkward row each, beside the CSV holding the same cells
# (edge_NAME.parquet, edge_NAME.csv). The test expects the same exit code, payouts and
# count of rejected rows from both.
HEADER = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv"
COLS = HEADER.split(",")


def base_rows():
    rows = []
    for d in ["2025-07-01", "2025-10-01", "2025-11-15", "2025-12-31"]:
        for p in ["P1", "P2"]:
            for s in ["S1", "S2"]:
                rows.append([d, p, p + s, "30000.00", "100.00", "50.00", "20000.00"])
    return rows


def typed(scale=2, precision=18):
    return "cast(date as date) date, partner_id, seller_id, " + ", ".join(
        f"cast({a} as decimal({precision},{scale})) {a}" for a in AMOUNTS
    )


CENTS = "cast(date as date) date, partner_id, seller_id, " + ", ".join(
    f"cast(round(cast({a} as decimal(38,2))*100) as bigint) {a}" for a in AMOUNTS
)


def edge(name, rows, select, opts="compression zstd", csv_rows=None):
    con.execute("drop table if exists t")
    con.execute("create table t(" + ", ".join(f"{c} varchar" for c in COLS) + ")")
    con.executemany(
        "insert into t values (?,?,?,?,?,?,?)",
        [[None if c is None else c for c in r] for r in rows],
    )
    path = os.path.join(out, f"edge_{name}.parquet")
    con.execute(f"copy ({select}) to '{path}' (format parquet, {opts})")
    with open(os.path.join(out, f"edge_{name}.csv"), "w") as f:
        f.write(HEADER + "\n")
        for r in csv_rows or rows:
            f.write(",".join("" if c is None else (f'"{c}"' if "," in c else c) for c in r) + "\n")


for col in range(7):
    r = base_rows()
    r[3][col] = None
    edge(f"null_{COLS[col]}", r, f"select {typed()} from t" if col != 0 else "select * from t")
r = base_rows()
r.append(list(r[0]))
edge("duplicate_across_groups", r, f"select {typed()} from t", "row_group_size 3")
r = base_rows()
r.append(list(r[13]))
r[-1][2] = " " + r[-1][2] + "  "
edge("duplicate_after_trim", r, f"select {typed()} from t", "row_group_size 5")
r = base_rows()
r[5][3] = "30000.230"
c = base_rows()
c[5][3] = "30000.23"
edge("three_decimals_exact", r, f"select {typed(3)} from t", csv_rows=c)
r = base_rows()
r[5][3] = "30000.234"
edge("three_decimals_inexact", r, f"select {typed(3)} from t")
r = base_rows()
r[5][3] = "30000.230"
edge("text_three_decimals", r, "select * from t")
r = base_rows()
r[5][3] = "$30,000.23"
edge("text_dollars", r, "select * from t")
r = base_rows()
r[5][3] = "30000.23\u00a0"
edge("text_nbsp", r, "select * from t")
r = base_rows()
r[5][1] = "   "
edge("blank_partner", r, "select * from t")
r = base_rows()
r[5][3] = "999999999999.99"
r[5][6] = "999999999999.99"
edge("largest_amount", r, f"select {typed(2, 38)} from t")
r = base_rows()
r[5][3] = "1000000000000.00"
edge("decimal_over_largest", r, f"select {typed(2, 38)} from t")
edge("cents_over_largest", r, f"select {CENTS} from t")
r = base_rows()
r[5][4] = "40000.00"
edge("channel_over_gmv", r, f"select {CENTS} from t")
# Unsigned 32-bit cents (DuckDB UINTEGER, ClickHouse UInt32) above 2^31: 30,000,000.00.
UCENTS = "cast(date as date) date, partner_id, seller_id, " + ", ".join(
    f"cast(round(cast({a} as decimal(38,2))*100) as uinteger) {a}" for a in AMOUNTS
)
r = base_rows()
r[5][3] = "30000000.00"
r[5][4] = "21474836.48"
edge("uint32_cents", r, f"select {UCENTS} from t")
r[9][5] = None
edge("uint32_cents_with_null", r, f"select {UCENTS} from t")
# Unsigned integer ids past the signed range (UINTEGER 4,000,000,000; UBIGINT past 2^63):
# ids as their digits, never as negatives.
r = [[x[0], x[1].replace("P1", "4000000000").replace("P2", "18000000000000000000"),
      x[2].replace("P", "").replace("S", "0"), *x[3:]] for x in base_rows()]
edge("unsigned_ids", r, "select cast(date as date) date, cast(partner_id as ubigint) partner_id, "
     "cast(seller_id as uinteger) seller_id, " + typed().split("seller_id, ")[1] + " from t")
r = [[x[0], "4000000000" if x[1] == "P1" else "7", x[2].replace("P", "").replace("S", "0"), *x[3:]]
     for x in base_rows()]
edge("unsigned32_ids", r, "select cast(date as date) date, cast(partner_id as uinteger) partner_id, "
     "cast(seller_id as uinteger) seller_id, " + typed().split("seller_id, ")[1] + " from t")

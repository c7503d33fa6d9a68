"""Parquet layouts DuckDB does not write (pyarrow): a dictionary that overflows into plain
pages inside a column chunk, data pages v2, delta and byte-stream-split encodings, no
statistics. Run from the repository root: python3 tests/data/qa/gen_pyarrow.py tests/data/qa
(the rows of partners P03, P04, P08 of the sample)."""
import datetime
import decimal
import os
import sys

import pyarrow as pa
import pyarrow.compute
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
t = pcsv.read_csv(
    "fixtures/q4-sample/gmv_daily.csv",
    convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in
        ["date", "partner_id", "seller_id", "gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]}),
)
t = t.filter(pa.compute.is_in(t.column("partner_id"), pa.array(["P03", "P04", "P08"])))
AM = ["gmv", "short_video_gmv", "live_gmv", "affiliate_gmv"]


def with_amounts(table, typ, conv):
    for a in AM:
        i = table.schema.get_field_index(a)
        vals = [conv(decimal.Decimal(v)) for v in table.column(a).to_pylist()]
        table = table.set_column(i, a, pa.array(vals, type=typ))
    return table


d32 = pa.array([datetime.date.fromisoformat(x) for x in t.column("date").to_pylist()], type=pa.date32())
dec = with_amounts(t.set_column(0, "date", d32), pa.decimal128(18, 2), lambda d: d)
cents = with_amounts(t.set_column(0, "date", d32), pa.int64(), lambda d: int(d * 100))
# Sorted by date so each page holds many distinct sellers.
dec = dec.sort_by([("date", "ascending"), ("seller_id", "ascending")])
cents = cents.sort_by([("date", "ascending"), ("seller_id", "ascending")])
files = {
    "dict_spill_v1": (dec, dict(dictionary_pagesize_limit=120, data_page_size=512, row_group_size=5000)),
    "dict_spill_v2": (dec, dict(dictionary_pagesize_limit=120, data_page_size=512, data_page_version="2.0", compression="zstd")),
    "dict_all_v2_gzip": (dec, dict(data_page_version="2.0", compression="gzip", row_group_size=777)),
    "no_stats": (dec, dict(write_statistics=False)),
    "delta_cents": (cents, dict(use_dictionary=False, column_encoding={"gmv": "DELTA_BINARY_PACKED", "live_gmv": "DELTA_BINARY_PACKED", "partner_id": "DELTA_BYTE_ARRAY", "seller_id": "DELTA_LENGTH_BYTE_ARRAY"})),
    "bss_cents": (cents, dict(use_dictionary=["partner_id"], column_encoding={"gmv": "BYTE_STREAM_SPLIT"})),
    "plain_tiny_pages": (cents, dict(use_dictionary=False, data_page_size=100, row_group_size=3001)),
    "text_dict": (t, dict(dictionary_pagesize_limit=300, data_page_size=256)),
}
for name, (table, opts) in files.items():
    pq.write_table(table, os.path.join(out, name + ".parquet"), **opts)

# matchmaking: three ids per key, one creator with many partners and sellers, rows shuffled,
# a dictionary that spills into plain pages; beside it the same rows as CSV.
import random

random.seed(7)
rows = []
for di in range(20):
    d = datetime.date(2025, 11, 12) + datetime.timedelta(di)
    for p in ["P01", "P02", "P03", "P07"]:
        for s in ["S1", "S2", "S3"]:
            for c in ["C1", "C2", "C3", "C4", "C5"]:
                if random.random() < 0.5:
                    rows.append((d, p, p + s, c, decimal.Decimal(random.randint(1, 300000)) / 100))
random.shuffle(rows)
with open(os.path.join(out, "mm_matchmaking.csv"), "w") as f:
    f.write("date,partner_id,seller_id,creator_id,gmv\n")
    f.writelines(f"{d},{p},{s},{c},{g:.2f}\n" for d, p, s, c, g in rows)
mm = pa.table({
    "date": pa.array([r[0] for r in rows], pa.date32()),
    "partner_id": [r[1] for r in rows],
    "seller_id": [r[2] for r in rows],
    "creator_id": [r[3] for r in rows],
    "gmv": pa.array([r[4] for r in rows], pa.decimal128(12, 2)),
})
pq.write_table(mm, os.path.join(out, "mm_matchmaking.parquet"),
               dictionary_pagesize_limit=20, data_page_size=64, row_group_size=250)

# Unsigned 32-bit cents above 2^31 in delta-encoded pages (read by the parquet crate's
# readers, not the page decoder); beside it the same rows as CSV.
ROWS = [("2025-07-01", "P1", "P1S1", 3000000, 10000), ("2025-10-01", "P1", "P1S1", 3000000000, 2147483648),
        ("2025-10-01", "P2", "P2S1", 4294967295, 100), ("2025-12-31", "P1", "P1S1", 100, 0)]
with open(os.path.join(out, "edge_uint32_delta.csv"), "w") as f:
    f.write("date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n")
    for d, p, s, g, v in ROWS:
        f.write(f"{d},{p},{s},{g // 100}.{g % 100:02},{v // 100}.{v % 100:02},0.00,0.00\n")
u = pa.table({
    "date": pa.array([datetime.date.fromisoformat(r[0]) for r in ROWS], pa.date32()),
    "partner_id": [r[1] for r in ROWS],
    "seller_id": [r[2] for r in ROWS],
    "gmv": pa.array([r[3] for r in ROWS], pa.uint32()),
    "short_video_gmv": pa.array([r[4] for r in ROWS], pa.uint32()),
    "live_gmv": pa.array([0] * len(ROWS), pa.uint32()),
    "affiliate_gmv": pa.array([0] * len(ROWS), pa.uint32()),
})
pq.write_table(u, os.path.join(out, "edge_uint32_delta.parquet"), use_dictionary=False,
               column_encoding={"gmv": "DELTA_BINARY_PACKED", "short_video_gmv": "DELTA_BINARY_PACKED"})

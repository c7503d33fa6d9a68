#!/usr/bin/env bash
# Seeds each target's corpus from the sample data and the embedded book, then runs the
# targets one after another: `fuzz/run.sh [SECONDS] [TARGET...]` (default 600 s, all).
# Stable toolchains need RUSTC_BOOTSTRAP=1 for the flags cargo-fuzz passes. The targets run
# without a sanitizer (`-s none`): the crate's only unsafe code is system calls (mapping a
# workbook, syncing outputs, signal handlers) that the targets do not reach through memory
# they fuzz; what is looked for is a panic, a hang or runaway memory, and AddressSanitizer
# made executions ~5x slower.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gmv_daily partner_tiers creators creator_gmv_daily matchmaking partners gmv_daily_xlsx gmv_daily_xlsx_sheet gmv_daily_parquet book)
fixtures=../fixtures/q4-sample

seed() { # seed TARGET NAME CONTROL_BYTE FILE_OR_TEXT_CMD...
  local dir="corpus/$1"
  mkdir -p "$dir"
  { printf "\\x$3"; cat; } > "$dir/seed-$2"
}

for t in "${targets[@]}"; do
  case "$t" in
    gmv_daily_xlsx|gmv_daily_parquet)
      # Seed: a small generated export written as a workbook and as Parquet.
      seeds="$PWD/corpus/seed-data"
      if [ ! -d "$seeds-xlsx" ]; then
        (cd .. && cargo run -q --release --example gen_bench_data -- "$seeds" 200 20 40 \
          && cargo run -q --release --example gen_bench_formats -- "$seeds") >/dev/null
      fi
      ext="${t#gmv_daily_}"
      if [ "$t" = gmv_daily_parquet ]; then
        # After the control byte: an even byte reads the rest as the file; an odd one
        # builds a file (and the CSV of the same rows) from it.
        seed "$t" strict 00 < <(printf '\x00'; cat "$seeds-$ext/gmv_daily.$ext")
        seed "$t" skip 01 < <(printf '\x00'; cat "$seeds-$ext/gmv_daily.$ext")
        seed "$t" built-strict 00 < <(printf '\x01\x03\x05\x03\x40'; head -c 2000 "$fixtures/gmv_daily.csv")
        seed "$t" built-skip 01 < <(printf '\x01\x04\x02\x07\x80'; tail -c 2000 "$fixtures/gmv_daily.csv")
      else
        seed "$t" strict 00 < "$seeds-$ext/gmv_daily.$ext"
        seed "$t" skip 01 < "$seeds-$ext/gmv_daily.$ext"
      fi
      ;;
    gmv_daily_xlsx_sheet)
      # After the control byte, the sheet's rows as XML (the package around them is fixed):
      # the shapes writers use, with shared strings, styles and inline text.
      printf '%s' '<row r="2"><c r="A2" s="1"><v>45931</v></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2"><v>1234.56</v></c><c r="E2" s="3"><v>10</v></c><c r="F2" t="s"><v>5</v></c><c r="G2"><v>0</v></c></row><row r="3"><c r="A3" s="2"><v>45932</v></c><c r="B3" t="inlineStr"><is><t>P2</t></is></c><c r="C3" t="inlineStr"><is><t>S7</t></is></c><c r="D3"><v>99.5</v></c><c r="E3"><v>1</v></c><c r="F3" t="n"><v>2</v></c><c r="G3"/></row>' | seed "$t" rows 02
      printf '%s' '<row r="2" spans="1:7"> <c r="A2" t="s"><v>4</v></c><c r="B2" t="inlineStr"><is><t xml:space="preserve"> P3 </t></is></c><c r="C2" t="s"><v>3</v></c><c r="D2" t="s"><v>5</v></c><c r="E2"/><c r="F2"><v>0</v></c><c r="G2"><v>1E-2</v></c></row>' | seed "$t" shapes 03
      ;;
    book)
      seed book text 00 < ../book/q4-2025.toml
      printf '\x01' > corpus/book/seed-tweak-none
      ;;
    *)
      head -c 4000 "$fixtures/$t.csv" | seed "$t" strict 00
      head -c 4000 "$fixtures/$t.csv" | seed "$t" skip 01
      head -n 3 "$fixtures/$t.csv" | sed 's/$/\r/' | seed "$t" crlf 21
      ;;
  esac
done

mkdir -p logs
for t in "${targets[@]}"; do
  echo "== $t ($secs s)"
  RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run -s none "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    2>&1 | tee "logs/$t.log" | grep -E "^(#[0-9]+ +DONE|stat::|==|SUMMARY|Done)" || true
done

//! Writes a benchmark data directory's gmv_daily.csv again as Parquet and as an Excel
//! workbook, for comparing the readers:
//! `cargo run --release --example gen_bench_formats -- DIR [XLSX_ROWS]`
//! writes `DIR-parquet/gmv_daily.parquet` (every row; date32 dates, string ids,
//! DECIMAL(18,2) amounts, SNAPPY, row groups of 1M rows) and `DIR-xlsx/gmv_daily.xlsx`
//! (the first XLSX_ROWS rows, default 1,000,000: dates as date serials, amounts as numbers;
//! ids as inline strings, or as shared strings, the way Excel itself saves them, when a third
//! argument `shared` is given).

use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::path::Path;
use std::sync::Arc;

const GROUP_ROWS: usize = 1 << 20;

struct Rows {
    days: Vec<i32>,
    partners: Vec<ByteArray>,
    sellers: Vec<ByteArray>,
    amounts: [Vec<i64>; 4],
}

fn cents(text: &str) -> i64 {
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    int.parse::<i64>().expect("amount") * 100 + format!("{frac:0<2}").parse::<i64>().expect("cents")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: gen_bench_formats DIR [XLSX_ROWS=1000000]");
        std::process::exit(2);
    }
    let dir = Path::new(&args[1]);
    let xlsx_rows: usize = args
        .get(2)
        .map_or(1_000_000, |s| s.parse().expect("XLSX_ROWS"));
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let mut reader = csv::Reader::from_path(dir.join("gmv_daily.csv"))?;
    let parquet_dir = Path::new(&format!("{}-parquet", dir.display())).to_path_buf();
    let xlsx_dir = Path::new(&format!("{}-xlsx", dir.display())).to_path_buf();
    std::fs::create_dir_all(&parquet_dir)?;
    std::fs::create_dir_all(&xlsx_dir)?;
    let schema = parquet::schema::parser::parse_message_type(
        "message gmv_daily { required int32 date (DATE); required binary partner_id (UTF8); \
         required binary seller_id (UTF8); required int64 gmv (DECIMAL(18,2)); \
         required int64 short_video_gmv (DECIMAL(18,2)); required int64 live_gmv (DECIMAL(18,2)); \
         required int64 affiliate_gmv (DECIMAL(18,2)); }",
    )?;
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let file = std::fs::File::create(parquet_dir.join("gmv_daily.parquet"))?;
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let sheet = if args.get(3).is_some_and(|a| a == "shared") {
        book.add_worksheet_with_low_memory()
    } else {
        book.add_worksheet_with_constant_memory()
    }?;
    let header = [
        "date",
        "partner_id",
        "seller_id",
        "gmv",
        "short_video_gmv",
        "live_gmv",
        "affiliate_gmv",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    let new_rows = || Rows {
        days: Vec::new(),
        partners: Vec::new(),
        sellers: Vec::new(),
        amounts: Default::default(),
    };
    let mut rows = new_rows();
    let flush = |writer: &mut SerializedFileWriter<std::fs::File>,
                 rows: &Rows|
     -> parquet::errors::Result<()> {
        let mut group = writer.next_row_group()?;
        let mut c = 0;
        while let Some(mut column) = group.next_column()? {
            match c {
                0 => column
                    .typed::<Int32Type>()
                    .write_batch(&rows.days, None, None)?,
                1 => column
                    .typed::<ByteArrayType>()
                    .write_batch(&rows.partners, None, None)?,
                2 => column
                    .typed::<ByteArrayType>()
                    .write_batch(&rows.sellers, None, None)?,
                k => column
                    .typed::<Int64Type>()
                    .write_batch(&rows.amounts[k - 3], None, None)?,
            };
            column.close()?;
            c += 1;
        }
        group.close()?;
        Ok(())
    };
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let date = chrono::NaiveDate::parse_from_str(&record[0], "%Y-%m-%d")?;
        rows.days.push((date - epoch).num_days() as i32);
        rows.partners.push(ByteArray::from(&record[1]));
        rows.sellers.push(ByteArray::from(&record[2]));
        for k in 0..4 {
            rows.amounts[k].push(cents(&record[3 + k]));
        }
        if i < xlsx_rows {
            let line = i as u32 + 1;
            sheet.write_number_with_format(
                line,
                0,
                f64::from(rows.days[rows.days.len() - 1]) + 25569.0,
                &date_format,
            )?;
            sheet.write_string(line, 1, &record[1])?;
            sheet.write_string(line, 2, &record[2])?;
            for k in 0..4 {
                sheet.write_number(line, 3 + k as u16, record[3 + k].parse::<f64>()?)?;
            }
        }
        if rows.days.len() == GROUP_ROWS {
            flush(&mut writer, &rows)?;
            rows = new_rows();
        }
    }
    if !rows.days.is_empty() {
        flush(&mut writer, &rows)?;
    }
    writer.close()?;
    book.save(xlsx_dir.join("gmv_daily.xlsx"))?;
    Ok(())
}

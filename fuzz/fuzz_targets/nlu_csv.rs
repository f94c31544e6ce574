//! Any text through `anumati_nlu::csv::read_csv` (bytes decoded lossily, so
//! every input is tried). Checks the documented round trip: what was read
//! writes back with `write_csv` and reads again unchanged.

#![no_main]

use anumati_nlu::csv::{read_csv, write_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match read_csv(&text, "fuzz.csv") {
        Ok(examples) => {
            let written = write_csv(&examples);
            let again = read_csv(&written, "written.csv").unwrap_or_else(|e| {
                panic!("write_csv output does not read back: {e}\n{written:?}")
            });
            assert_eq!(
                again, examples,
                "write_csv/read_csv round trip changed the examples"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});

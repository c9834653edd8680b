//! The loader on arbitrary bytes as `compose.yaml`: it must return a project or diagnostics,
//! never panic, hang or allocate without bound.
#![no_main]

use kubeferry::compose::{self, LoadOptions, MemoryFs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fs = MemoryFs::new().with("/p/compose.yaml", data.to_vec());
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: "/p".into(),
        home: Some("/home/u".into()),
        environment: [("A".to_string(), "x".to_string())].into_iter().collect(),
        ..LoadOptions::default()
    };
    let _ = compose::load(&opts, &fs);
});

//! The whole conversion on arbitrary bytes as `compose.yaml`: load → lower → harden → check →
//! render. Nothing may panic, and whatever lowers must pass the project's own output checks
//! (a check failure here is a bug in the lowering, so it aborts).
#![no_main]

use kubeferry::compose::{self, LoadOptions, MemoryFs};
use kubeferry::{emit, harden, lower};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fs = MemoryFs::new()
        .with("/p/compose.yaml", data.to_vec())
        .with("/p/secret.txt", b"s3cr3t-value".to_vec())
        .with("/p/config.txt", b"key=value".to_vec());
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: "/p".into(),
        home: Some("/home/u".into()),
        environment: [("A".to_string(), "x".to_string())].into_iter().collect(),
        ..LoadOptions::default()
    };
    let Ok(loaded) = compose::load(&opts, &fs) else {
        return;
    };
    let Ok(lowered) = lower::lower(&loaded.project, &lower::LowerOptions::default(), &fs) else {
        return;
    };
    let external = lowered.external;
    let mut objects = lowered.objects;
    if harden::apply(
        &mut objects,
        &lowered.sources,
        &harden::HardenOptions::default(),
    )
    .is_err()
    {
        return;
    }
    if let Err(f) = emit::check(&objects, &external) {
        panic!("the output check rejected a lowered object:\n{f}");
    }
    let _ = emit::render(&objects, emit::Format::Yaml);
});

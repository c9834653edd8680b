//! `docs/conversion.md` is generated from the support table; this fails when it is stale.
//! Regenerate with `KUBEFERRY_BLESS=1 cargo test --test conversion_doc`.

#[test]
fn conversion_doc_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/conversion.md");
    let want = kubeferry::lower::support::conversion_table();
    if std::env::var_os("KUBEFERRY_BLESS").is_some() {
        std::fs::write(path, &want).expect("write docs/conversion.md");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "docs/conversion.md is stale: regenerate it with `KUBEFERRY_BLESS=1 cargo test --test conversion_doc`"
    );
}

//! The README's library example is `examples/embed.rs` verbatim (the example's snapshot test
//! runs with `cargo test`; the README block is compiled as a doctest).

#[test]
fn readme_holds_the_embed_example_verbatim() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/embed.rs");
    assert!(
        readme.contains(&format!("```rust\n{example}```\n")),
        "README.md's \"Use as a library\" block differs from examples/embed.rs"
    );
}

#[test]
fn readme_gives_the_dependency_lines() {
    let readme = include_str!("../README.md");
    let section = readme.split("## Use as a library").nth(1).expect("section");
    assert!(section.contains("kubeferry = { path = "));
    assert!(section.contains("insta = "));
}

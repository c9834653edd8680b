//! The second core. The stages stay sequential; inside a stage, two independent pieces of
//! work on a large project run side by side (docs/performance.md lists where). Small projects
//! never start a thread: it costs more than their whole conversion saves.

/// Runs `a` on this thread and `b` on a second one, and returns both results. A panic in `b`
/// continues on this thread.
pub(crate) fn both<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let b = s.spawn(b);
        let a = a();
        (a, b.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

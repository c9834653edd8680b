//! `$` in the text a container gets through the kubelet (env values, command, args, exec
//! probes), which expands `$(NAME)`: a leaf of the lowering that every part of a container
//! uses.

/// The text to give the kubelet so the container gets `s`: the kubelet expands env values,
/// command, args and exec probes (never lifecycle hooks), where `$$` is `$`, `$(NAME)` a
/// variable, and `$` before a non-ASCII byte mangles that byte (read as a Latin-1 character).
/// Compose delivers the text as it is, so each `$` the kubelet would read as an operator is
/// doubled; any other `$` (`$HOME`, `${A}`, a last `$`) reaches the container unchanged.
pub fn escape(s: &str) -> String {
    let b = s.as_bytes();
    let operator = |i: usize| {
        b[i] == b'$'
            && b.get(i + 1)
                .is_some_and(|&n| n == b'$' || n == b'(' || !n.is_ascii())
    };
    if !(0..b.len()).any(operator) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.char_indices() {
        if operator(i) {
            out.push('$');
        }
        out.push(c);
    }
    out
}

pub fn escape_all(v: &[String]) -> Vec<String> {
    v.iter().map(|s| escape(s)).collect()
}

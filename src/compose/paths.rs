//! Paths as Docker Compose resolves them: against a base directory and the home directory,
//! cleaned lexically. Used by the canonical forms, the volume syntax and the loader alike.

use super::Ctx;

/// Resolve a path against `base`: `~` to the home directory, relative paths joined and
/// cleaned. Absolute paths are only cleaned.
pub fn absolute(base: &str, p: &str, ctx: &Ctx<'_>) -> String {
    let joined = if let Some(rest) = p.strip_prefix('~') {
        if rest.is_empty() || rest.starts_with('/') {
            format!("{}{rest}", ctx.home)
        } else {
            format!("{base}/{p}")
        }
    } else if p.starts_with('/') || is_windows_absolute(p) {
        // Docker Compose keeps absolute paths as written.
        return p.to_string();
    } else {
        format!("{base}/{p}")
    };
    clean_path(&joined)
}

fn is_windows_absolute(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/')
}

/// Lexical path cleaning as Go's `path.Clean` does.
pub fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::clean_path;

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path("/a/b/../c/./d/"), "/a/c/d");
        assert_eq!(clean_path("/a/.."), "/");
        assert_eq!(clean_path("a/../../b"), "../b");
    }
}

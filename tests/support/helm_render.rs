//! A renderer for exactly the Go-template subset kubeferry's Helm chart uses:
//! `{{ toJson (index .Values "k" 0 …) }}`, `{{ index .Values "k" … }}`, `{{ "{{" }}`, and for
//! Secrets `{{ if index .Values … }}` … `{{ end }}` (not nested) around the whole template
//! and `{{ toJson (required "message" (index .Values …)) }}`. Anything else is an error, so a
//! template that strays from the subset fails the test.

use serde_json::Value;

/// Render one template with `values`.
pub fn render(template: &str, values: &Value) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    // Inside a false `if`: text and actions are skipped up to its `end`.
    let mut skipping = false;
    let mut open = false;
    while let Some(start) = rest.find("{{") {
        if !skipping {
            out.push_str(&rest[..start]);
        }
        let action = &rest[start + 2..];
        let end =
            find_close(action).ok_or_else(|| format!("unclosed action: {}", &rest[start..]))?;
        let a = action[..end].trim();
        if let Some(cond) = a.strip_prefix("if ") {
            if open {
                return Err("nested `if` is outside the subset".into());
            }
            open = true;
            skipping = !truthy(index(cond, values).unwrap_or(&Value::Null));
        } else if a == "end" {
            if !open {
                return Err("`end` without `if`".into());
            }
            open = false;
            skipping = false;
        } else if !skipping {
            out.push_str(&eval(a, values)?);
        }
        rest = &action[end + 2..];
    }
    if open {
        return Err("`if` without `end`".into());
    }
    out.push_str(rest);
    Ok(out)
}

/// Go's template truth: false, 0, nil and empty strings and collections are false.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// The `}}` that closes an action, skipping quoted strings.
fn find_close(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'"' => quoted = !quoted,
            b'}' if !quoted && b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn eval(action: &str, values: &Value) -> Result<String, String> {
    if action == "\"{{\"" {
        return Ok("{{".into());
    }
    if let Some(inner) = action
        .strip_prefix("toJson (")
        .and_then(|a| a.strip_suffix(')'))
    {
        if let Some(req) = inner.strip_prefix("required \"") {
            let (msg, expr) = req.split_once("\" (").ok_or("malformed `required`")?;
            let expr = expr.strip_suffix(')').ok_or("malformed `required`")?;
            let v = index(expr, values).map_err(|_| msg.to_string())?;
            if !truthy(v) {
                return Err(msg.to_string());
            }
            return serde_json::to_string(v).map_err(|e| e.to_string());
        }
        let v = index(inner, values)?;
        return serde_json::to_string(v).map_err(|e| e.to_string());
    }
    match index(action, values)? {
        Value::String(s) => Ok(s.clone()),
        other => Ok(other.to_string()),
    }
}

fn index<'v>(expr: &str, values: &'v Value) -> Result<&'v Value, String> {
    let args = expr
        .strip_prefix("index .Values ")
        .ok_or_else(|| format!("unsupported action `{expr}`"))?;
    let mut cur = values;
    for arg in split_args(args)? {
        cur = match (arg, cur) {
            (Arg::Key(k), Value::Object(m)) => m.get(&k),
            (Arg::Idx(i), Value::Array(a)) => a.get(i),
            _ => None,
        }
        .ok_or_else(|| format!("no value at `{expr}`"))?;
    }
    Ok(cur)
}

enum Arg {
    Key(String),
    Idx(usize),
}

fn split_args(s: &str) -> Result<Vec<Arg>, String> {
    let mut args = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').ok_or("unterminated string")?;
            let k = &r[..end];
            if k.contains('\\') {
                return Err(format!("escapes are outside the subset: `{k}`"));
            }
            args.push(Arg::Key(k.to_string()));
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            let n = rest[..end]
                .parse()
                .map_err(|_| format!("unsupported argument `{}`", &rest[..end]))?;
            args.push(Arg::Idx(n));
            rest = rest[end..].trim_start();
        }
    }
    Ok(args)
}

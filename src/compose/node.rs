//! The untyped document tree the loader works on between parsing and typing.
//!
//! Interpolation, `extends`, `include` and multi-file merging all happen on this tree, because
//! Compose types a value only after it is interpolated and merges on the long form. Every node
//! keeps the position it came from, so errors found late still name a line and column.

use indexmap::IndexMap;

/// A position in one of the loaded files: file index, 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// The Compose merge tags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tag {
    #[default]
    None,
    /// `!reset`: remove the attribute from the merged model.
    Reset,
    /// `!override`: replace the attribute instead of merging it.
    Override,
}

/// A mapping of the Compose tree, in file order ([`super::hash`] says why its hasher).
pub type Map = IndexMap<String, Node, crate::hash::FastState>;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Map),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the value starts.
    pub at: Pos,
    /// Where the key of this value starts, when it is a mapping value (else `at`).
    pub key_at: Pos,
    pub tag: Tag,
}

impl Node {
    pub fn new(value: Value, at: Pos) -> Self {
        Node {
            value,
            at,
            key_at: at,
            tag: Tag::None,
        }
    }

    pub fn str(s: impl Into<String>, at: Pos) -> Self {
        Node::new(Value::Str(s.into()), at)
    }

    pub fn map(m: Map, at: Pos) -> Self {
        Node::new(Value::Map(m), at)
    }

    pub fn seq(s: Vec<Node>, at: Pos) -> Self {
        Node::new(Value::Seq(s), at)
    }

    /// Set the file of every position in this tree: a file parsed before its number was
    /// known (`compose::load`'s early read of `name`).
    pub fn set_file(&mut self, file: u32) {
        self.at.file = file;
        self.key_at.file = file;
        match &mut self.value {
            Value::Map(m) => m.values_mut().for_each(|v| v.set_file(file)),
            Value::Seq(items) => items.iter_mut().for_each(|v| v.set_file(file)),
            _ => {}
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The `services` mapping of a file's root, when there is one.
    pub fn services_mut(&mut self) -> Option<&mut Map> {
        self.as_map_mut()?.get_mut("services")?.as_map_mut()
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A scalar as Compose would see it once stringified (numbers and booleans in Go's
    /// formatting). `None` for null, sequences and mappings.
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format_float(*f)),
            _ => None,
        }
    }

    /// What kind of value this is, in the user's words, for type errors.
    pub fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// How many nodes this tree holds (for the alias-expansion budget).
    pub fn count_nodes(&self) -> usize {
        match &self.value {
            Value::Seq(s) => 1 + s.iter().map(Node::count_nodes).sum::<usize>(),
            Value::Map(m) => 1 + m.values().map(Node::count_nodes).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Format a float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` does for the values Compose
/// files hold, so that stringified numbers match what Docker Compose prints.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == f.trunc() && f.abs() < 1e21 {
        let exp = if f == 0.0 {
            0
        } else {
            f.abs().log10().floor() as i32
        };
        if exp < 21 {
            return format!("{}", f as i128);
        }
    }
    let s = format!("{f}");
    let abs = f.abs();
    if (1e-4..1e21).contains(&abs) {
        s
    } else {
        // Go switches to exponent form outside [1e-4, 1e21).
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((m, x)) => {
                let xv: i32 = x.parse().unwrap_or(0);
                let sign = if xv < 0 { '-' } else { '+' };
                format!("{m}e{sign}{:02}", xv.abs())
            }
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(3.10), "3.1");
        assert_eq!(format_float(1e-7), "1e-07");
        assert_eq!(format_float(-2.5), "-2.5");
    }
}

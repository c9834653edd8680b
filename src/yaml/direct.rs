//! The structure of the YAML writer: mappings, sequences and indentation, written straight
//! from a `Serialize` value without building a value tree first (which took half of the time
//! of emitting); scalars are [`crate::yaml`]'s. What a tree would hold differently from a
//! stream (keys that are not strings, byte strings, tuple or struct variants) is refused, and
//! [`crate::yaml::write`] passes it through serde_json's tree instead.

use crate::yaml;
use serde::Serialize;
use serde::ser::{self, Impossible};

/// Append one document to `out`; `false` (with `out` as it was) when `v` needs the fallback.
pub fn write<T: Serialize + ?Sized>(out: &mut String, v: &T) -> bool {
    let start = out.len();
    let w = Writer {
        out,
        place: Place::Inline,
        n: 0,
    };
    if v.serialize(w).is_ok() {
        return true;
    }
    out.truncate(start);
    false
}

/// Where a value goes: after `key:` (a child), or after `- ` or at the start of a document
/// (inline). `n` is the indentation of its content.
#[derive(Clone, Copy)]
enum Place {
    Child,
    Inline,
}

#[derive(Debug)]
pub struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not written directly")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

type R = Result<(), Unsupported>;

struct Writer<'a> {
    out: &'a mut String,
    place: Place,
    n: usize,
}

impl<'a> Writer<'a> {
    fn scalar(self, f: impl FnOnce(&mut String, usize)) -> R {
        if let Place::Child = self.place {
            self.out.push(' ');
        }
        f(self.out, self.n);
        self.out.push('\n');
        Ok(())
    }

    fn text(self, s: &str) -> R {
        self.scalar(|out, n| yaml::string(out, s, n))
    }

    fn raw(self, s: &str) -> R {
        self.scalar(|out, _| out.push_str(s))
    }

    fn number(self, v: serde_json::Value) -> R {
        match v {
            serde_json::Value::Number(num) => self.raw(&num.to_string()),
            _ => self.raw("null"),
        }
    }

    fn container(self) -> Container<'a> {
        Container {
            out: self.out,
            place: self.place,
            n: self.n,
            count: 0,
        }
    }
}

/// An open mapping or sequence: what comes before each entry depends on whether it is the
/// first; an empty one is written `{}` or `[]` when it ends.
struct Container<'a> {
    out: &'a mut String,
    place: Place,
    n: usize,
    count: usize,
}

impl Container<'_> {
    fn before_entry(&mut self) {
        if self.count == 0 {
            if let Place::Child = self.place {
                self.out.push('\n');
                yaml::indent(self.out, self.n);
            }
        } else {
            yaml::indent(self.out, self.n);
        }
        self.count += 1;
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> R {
        self.before_entry();
        yaml::key(self.out, key);
        self.out.push(':');
        self.value(v)
    }

    /// The value of the entry whose key was just written.
    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(Writer {
            out: self.out,
            place: Place::Child,
            n: self.n + 2,
        })
    }

    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.before_entry();
        self.out.push_str("- ");
        v.serialize(Writer {
            out: self.out,
            place: Place::Inline,
            n: self.n + 2,
        })
    }

    fn end(self, empty: &str) -> R {
        if self.count == 0 {
            if let Place::Child = self.place {
                self.out.push(' ');
            }
            self.out.push_str(empty);
            self.out.push('\n');
        }
        Ok(())
    }
}

/// An open mapping; `key_written` while a key is out and its value awaited.
struct MapWriter<'a> {
    c: Container<'a>,
    key_written: bool,
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Container<'a>;
    type SerializeTuple = Container<'a>;
    type SerializeTupleStruct = Container<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = MapWriter<'a>;
    type SerializeStruct = Container<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> R {
        self.raw(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> R {
        self.scalar(|out, _| crate::text::push_signed(out, i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> R {
        self.scalar(|out, _| crate::text::push_signed(out, i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> R {
        self.scalar(|out, _| crate::text::push_signed(out, i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> R {
        self.scalar(|out, _| crate::text::push_signed(out, v))
    }
    fn serialize_u8(self, v: u8) -> R {
        self.scalar(|out, _| crate::text::push_decimal(out, u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> R {
        self.scalar(|out, _| crate::text::push_decimal(out, u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> R {
        self.scalar(|out, _| crate::text::push_decimal(out, u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> R {
        self.scalar(|out, _| crate::text::push_decimal(out, v))
    }
    // Floats as the tree holds them (not finite: null), formatted by serde_json.
    fn serialize_f32(self, v: f32) -> R {
        self.number(serde_json::Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> R {
        self.number(serde_json::Value::from(v))
    }
    fn serialize_char(self, v: char) -> R {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> R {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> R {
        Err(Unsupported)
    }
    fn serialize_none(self) -> R {
        self.raw("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.raw("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        self.raw("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        let mut c = self.container();
        c.entry(variant, v)?;
        c.end("{}")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Container<'a>, Unsupported> {
        Ok(self.container())
    }
    fn serialize_tuple(self, _: usize) -> Result<Container<'a>, Unsupported> {
        Ok(self.container())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Container<'a>, Unsupported> {
        Ok(self.container())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapWriter<'a>, Unsupported> {
        Ok(MapWriter {
            c: self.container(),
            key_written: false,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Container<'a>, Unsupported> {
        Ok(self.container())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for Container<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Container::end(self, "[]")
    }
}

impl ser::SerializeTuple for Container<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Container::end(self, "[]")
    }
}

impl ser::SerializeTupleStruct for Container<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Container::end(self, "[]")
    }
}

impl ser::SerializeStruct for Container<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.entry(key, v)
    }
    fn end(self) -> R {
        Container::end(self, "{}")
    }
}

impl ser::SerializeMap for MapWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    // The key is written as it comes (no string of its own): a failure anywhere discards the
    // whole document.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        if self.key_written {
            return Err(Unsupported);
        }
        self.c.before_entry();
        key.serialize(KeyWriter { out: self.c.out })?;
        self.c.out.push(':');
        self.key_written = true;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        if !std::mem::take(&mut self.key_written) {
            return Err(Unsupported);
        }
        self.c.value(v)
    }
    fn end(self) -> R {
        if self.key_written {
            return Err(Unsupported);
        }
        self.c.end("{}")
    }
}

/// Map keys, written in place: strings only (the tree would turn others into strings its
/// own way).
struct KeyWriter<'a> {
    out: &'a mut String,
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> R {
        yaml::key(self.out, v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> R {
        Err(Unsupported)
    }
    fn serialize_i8(self, _: i8) -> R {
        Err(Unsupported)
    }
    fn serialize_i16(self, _: i16) -> R {
        Err(Unsupported)
    }
    fn serialize_i32(self, _: i32) -> R {
        Err(Unsupported)
    }
    fn serialize_i64(self, _: i64) -> R {
        Err(Unsupported)
    }
    fn serialize_u8(self, _: u8) -> R {
        Err(Unsupported)
    }
    fn serialize_u16(self, _: u16) -> R {
        Err(Unsupported)
    }
    fn serialize_u32(self, _: u32) -> R {
        Err(Unsupported)
    }
    fn serialize_u64(self, _: u64) -> R {
        Err(Unsupported)
    }
    fn serialize_f32(self, _: f32) -> R {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> R {
        Err(Unsupported)
    }
    fn serialize_char(self, _: char) -> R {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> R {
        Err(Unsupported)
    }
    fn serialize_none(self) -> R {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> R {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> R {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Err(Unsupported)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> R {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn written(v: &serde_json::Value) -> String {
        let mut out = String::new();
        assert!(write(&mut out, v), "a JSON value always streams");
        out
    }

    #[test]
    fn mappings_sequences_and_empty_containers() {
        let v = json!({"a": "on", "b": {"c": [1, {"x": "w", "z": []}, [], [2, [3]], {}]}, "e": {}, "f": null, "g": 1.5, "h": "multi\nline\n", "i": [{"j": "k\nl"}], "-x": true});
        assert_eq!(
            written(&v),
            "a: \"on\"\nb:\n  c:\n    - 1\n    - x: w\n      z: []\n    - []\n    - - 2\n      - - 3\n    - {}\ne: {}\nf: null\ng: 1.5\nh: |\n  multi\n  line\ni:\n  - j: |-\n      k\n      l\n-x: true\n"
        );
        assert_eq!(written(&json!([])), "[]\n");
        assert_eq!(written(&json!({})), "{}\n");
        assert_eq!(written(&json!("scalar")), "scalar\n");
        assert_eq!(
            written(&json!([[1, 2], {"a": {"b": {}}}])),
            "- - 1\n  - 2\n- a:\n    b: {}\n"
        );
    }

    /// A typed value and its serde_json tree are written the same, byte for byte.
    #[test]
    fn a_typed_value_and_its_tree_agree() {
        let o = k8s_openapi::api::core::v1::ConfigMap {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("web".into()),
                ..Default::default()
            },
            data: Some([("a.conf".to_string(), "x: 1\n".to_string())].into()),
            ..Default::default()
        };
        let mut direct = String::new();
        assert!(write(&mut direct, &o));
        assert_eq!(direct, written(&serde_json::to_value(&o).unwrap()));
    }

    #[test]
    fn refuses_what_the_tree_holds_differently() {
        let mut out = String::from("kept");
        let map: std::collections::BTreeMap<u32, u32> = [(1, 2)].into();
        assert!(!write(&mut out, &map));
        assert_eq!(out, "kept");
        // The writer's entry point takes it through the tree.
        assert_eq!(yaml::to_string(&map), "\"1\": 2\n");
    }
}

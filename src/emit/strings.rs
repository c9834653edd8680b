//! Every string of an object (values and map keys), visited through its `Serialize`
//! implementation without writing any text or building a tree: what the machine-path scan
//! ([`super::leaks`]) looks at. Struct field names are API names, not data, and are skipped.

use serde::ser::{self, Serialize};
use std::fmt;

/// Calls `f` with every string of `value`.
pub fn each(value: &impl Serialize, f: &mut dyn FnMut(&str)) {
    // The visitor itself never fails; a `Serialize` implementation could, and then the
    // strings seen so far are all there is.
    let _ = value.serialize(&mut Visitor { f });
}

struct Visitor<'f> {
    f: &'f mut dyn FnMut(&str),
}

/// The error type serde requires; only a `Serialize` implementation can raise it.
#[derive(Debug)]
pub struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object could not be serialised")
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Failed
    }
}

type R = Result<(), Failed>;

/// Serializer methods for values that hold no string: nothing to visit.
macro_rules! ignore {
    ($($method:ident: $ty:ty),* $(,)?) => {$(
        fn $method(self, _: $ty) -> R {
            Ok(())
        }
    )*};
}

impl<'v, 'f> ser::Serializer for &'v mut Visitor<'f> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_str(self, v: &str) -> R {
        (self.f)(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> R {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.serialize_str(variant)
    }
    // Numbers and booleans hold no string.
    ignore!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_f32: f32,
        serialize_f64: f64,
        serialize_bytes: &[u8],
    );
    fn serialize_none(self) -> R {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> R {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Failed> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Failed> {
        Ok(self)
    }
}

/// The compound parts of serde's data model: each element, field or map value is visited in
/// turn (a struct's field names are skipped, a map's keys are visited).
macro_rules! visit_parts {
    ($($trait:ident :: $method:ident ($($name:ty)?)),* $(,)?) => {$(
        impl ser::$trait for &mut Visitor<'_> {
            type Ok = ();
            type Error = Failed;
            fn $method<T: ?Sized + Serialize>(&mut self, $(_: $name,)? value: &T) -> R {
                value.serialize(&mut **self)
            }
            fn end(self) -> R {
                Ok(())
            }
        }
    )*};
}

visit_parts!(
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field(),
    SerializeStruct::serialize_field(&'static str),
    SerializeStructVariant::serialize_field(&'static str),
);

impl ser::SerializeMap for &mut Visitor<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> R {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn values_and_keys_are_seen_field_names_are_not() {
        let v =
            json!({"name": "web", "labels": {"tier": "front"}, "ports": [80, "http"], "x": null});
        let mut seen = Vec::new();
        super::each(&v, &mut |s| seen.push(s.to_string()));
        // serde_json's map keys are data here (a Value is a map, not a struct).
        seen.sort();
        assert_eq!(
            seen,
            [
                "front", "http", "labels", "name", "ports", "tier", "web", "x"
            ]
        );
    }
}

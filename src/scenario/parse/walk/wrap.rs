//! The serde wrappers of a walk: a deserializer, a visitor and the accesses it hands out, each
//! tracking the field being read. Structs and lists capture each value's text and read it through
//! [`Walk::capture`]; everything else is passed through.

use std::cell::Cell;
use std::fmt;

use ron::value::RawValue;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::{accepted, join, shown, skip_blank, variant_name, Field, Seen, Walk};

/// A deserializer that tracks the field it reads and wraps what it hands out.
pub(super) struct Wrap<'w, 't, D> {
    pub de: D,
    pub walk: &'w Walk<'t>,
    pub field: &'w Field,
    pub raw: &'t str,
    pub seen: &'w Cell<Seen>,
}

/// What a wrapped visitor knows about the map it may visit.
#[derive(Clone)]
struct MapShape {
    container: String,
    fields: Option<&'static [&'static str]>,
}

impl<'w, 't, D> Wrap<'w, 't, D> {
    fn note(&self, seen: Seen) {
        if self.seen.get() == Seen::Nothing {
            self.seen.set(seen);
        }
    }

    fn split<V>(self, inner: V, map: Option<MapShape>) -> (D, WrapVisitor<'w, 't, V>) {
        let visitor = WrapVisitor {
            inner,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
            map,
            enum_name: None,
        };
        (self.de, visitor)
    }
}

macro_rules! forward_deserialize {
    ($($method:ident => $seen:expr),* $(,)?) => {
        $(
            fn $method<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.note($seen);
                let (de, visitor) = self.split(visitor, None);
                de.$method(visitor)
            }
        )*
    };
}

impl<'w, 't, D: Deserializer<'t>> Deserializer<'t> for Wrap<'w, 't, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any => Seen::Primitive("any"),
        deserialize_bool => Seen::Primitive("bool"),
        deserialize_i8 => Seen::Primitive("i8"),
        deserialize_i16 => Seen::Primitive("i16"),
        deserialize_i32 => Seen::Primitive("i32"),
        deserialize_i64 => Seen::Primitive("i64"),
        deserialize_i128 => Seen::Primitive("i128"),
        deserialize_u8 => Seen::Primitive("u8"),
        deserialize_u16 => Seen::Primitive("u16"),
        deserialize_u32 => Seen::Primitive("u32"),
        deserialize_u64 => Seen::Primitive("u64"),
        deserialize_u128 => Seen::Primitive("u128"),
        deserialize_f32 => Seen::Primitive("f32"),
        deserialize_f64 => Seen::Primitive("f64"),
        deserialize_char => Seen::Primitive("char"),
        deserialize_str => Seen::Primitive("string"),
        deserialize_string => Seen::Primitive("string"),
        deserialize_bytes => Seen::Primitive("bytes"),
        deserialize_byte_buf => Seen::Primitive("bytes"),
        deserialize_unit => Seen::Primitive("unit"),
        deserialize_seq => Seen::Seq,
        deserialize_map => Seen::Primitive("map"),
        deserialize_identifier => Seen::Primitive("identifier"),
    }

    fn deserialize_option<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, D::Error> {
        // The type that counts is the one inside.
        let (de, visitor) = self.split(visitor, None);
        de.deserialize_option(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'t>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_ignored_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Struct(name));
        let (de, visitor) = self.split(visitor, None);
        de.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Struct(name));
        let (de, visitor) = self.split(visitor, None);
        de.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'t>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Seq);
        let (de, visitor) = self.split(visitor, None);
        de.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Struct(name));
        let (de, visitor) = self.split(visitor, None);
        de.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'t>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Struct(name));
        let shape = MapShape {
            container: name.to_string(),
            fields: Some(fields),
        };
        let (de, visitor) = self.split(visitor, Some(shape));
        de.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'t>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.note(Seen::Enum(name, variants));
        let (de, mut visitor) = self.split(visitor, None);
        visitor.enum_name = Some(name);
        de.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor that wraps the maps, lists, enums and options it is handed.
struct WrapVisitor<'w, 't, V> {
    inner: V,
    walk: &'w Walk<'t>,
    field: &'w Field,
    raw: &'t str,
    seen: &'w Cell<Seen>,
    map: Option<MapShape>,
    enum_name: Option<&'static str>,
}

impl<'w, 't, V> WrapVisitor<'w, 't, V> {
    fn wrap<D>(&self, de: D) -> Wrap<'w, 't, D> {
        Wrap {
            de,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
        }
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'w, 't, V: Visitor<'t>> Visitor<'t> for WrapVisitor<'w, 't, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char), visit_str(&str),
        visit_borrowed_str(&'t str), visit_string(String), visit_bytes(&[u8]),
        visit_borrowed_bytes(&'t [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'t>>(self, de: D) -> Result<Self::Value, D::Error> {
        let wrapped = self.wrap(de);
        self.inner.visit_some(wrapped)
    }

    fn visit_newtype_struct<D: Deserializer<'t>>(self, de: D) -> Result<Self::Value, D::Error> {
        let wrapped = self.wrap(de);
        self.inner.visit_newtype_struct(wrapped)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_seq(WrapSeq {
            inner: seq,
            walk: self.walk,
            field: self.field,
            index: 0,
        })
    }

    fn visit_map<A: MapAccess<'t>>(self, map: A) -> Result<Self::Value, A::Error> {
        let shape = self.map.unwrap_or_else(|| MapShape {
            container: self.field.container.clone(),
            fields: None,
        });
        self.inner.visit_map(WrapMap {
            inner: map,
            walk: self.walk,
            path: &self.field.path,
            container: shape.container,
            fields: shape.fields,
            keys: Vec::new(),
            current: None,
        })
    }

    fn visit_enum<A: EnumAccess<'t>>(self, data: A) -> Result<Self::Value, A::Error> {
        let container = match self.enum_name {
            Some(name) => format!("{name}::{}", variant_name(self.raw)),
            None => self.field.container.clone(),
        };
        self.inner.visit_enum(WrapEnum {
            inner: data,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
            container,
        })
    }
}

/// The fields of a struct: each value is captured and read on its own; unknown, repeated and skipped
/// fields never reach the struct's visitor.
struct WrapMap<'w, 't, A> {
    inner: A,
    walk: &'w Walk<'t>,
    path: &'w str,
    container: String,
    fields: Option<&'static [&'static str]>,
    keys: Vec<String>,
    current: Option<Field>,
}

impl<'w, 't, A: MapAccess<'t>> MapAccess<'t> for WrapMap<'w, 't, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'t>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.inner.next_key::<String>()? else {
                *self.walk.closed.borrow_mut() = self.container.clone();
                return Ok(None);
            };
            let path = join(self.path, &key);
            if self.path.is_empty() {
                self.walk.top_keys.borrow_mut().push(key.clone());
            }
            let unknown = self.fields.is_some_and(|f| !f.contains(&key.as_str()));
            let repeated = self.keys.contains(&key);
            if unknown || repeated || self.walk.is_skipped(&path) {
                let raw: &'t RawValue = self.inner.next_value()?;
                if !self.walk.is_skipped(&path) {
                    let raw = skip_blank(raw.get_ron());
                    let value_at = self.walk.offset(raw);
                    let accepted = if repeated {
                        format!("each field once ({key} is given more than once)")
                    } else {
                        accepted::unknown_field(&self.container, self.fields.unwrap_or(&[]), &key)
                    };
                    // Point at the name, just before the value.
                    let offset = self.walk.text[..value_at]
                        .rfind(key.as_str())
                        .unwrap_or(value_at);
                    let shown = shown(raw, &self.walk.options);
                    self.walk.record(path.clone(), shown, accepted, offset);
                    if unknown {
                        self.walk.skip(&path);
                    }
                }
                continue;
            }
            self.keys.push(key.clone());
            self.current = Some(Field {
                path,
                container: self.container.clone(),
                name: key.clone(),
            });
            return seed.deserialize(key.into_deserializer()).map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'t>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let raw: &'t RawValue = self.inner.next_value()?;
        let field = self.current.take().unwrap_or_default();
        self.walk
            .capture(raw, &field, seed)
            .map_err(de::Error::custom)
    }
}

/// The elements of a list, each captured and read on its own; skipped elements are left out.
struct WrapSeq<'w, 't, A> {
    inner: A,
    walk: &'w Walk<'t>,
    field: &'w Field,
    index: usize,
}

impl<'w, 't, A: SeqAccess<'t>> SeqAccess<'t> for WrapSeq<'w, 't, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'t>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        loop {
            let Some(raw) = self.inner.next_element::<&'t RawValue>()? else {
                return Ok(None);
            };
            let field = Field {
                path: format!("{}[{}]", self.field.path, self.index),
                container: self.field.container.clone(),
                name: format!("{}[]", self.field.name),
            };
            self.index += 1;
            if self.walk.is_skipped(&field.path) {
                self.walk.skipped_element.set(true);
                continue;
            }
            return self
                .walk
                .capture(raw, &field, seed)
                .map(Some)
                .map_err(de::Error::custom);
        }
    }
}

/// An enum value: its variant's fields are fields of the same path (`learning.rule.estimator`), read
/// with the variant as their container.
struct WrapEnum<'w, 't, A> {
    inner: A,
    walk: &'w Walk<'t>,
    field: &'w Field,
    raw: &'t str,
    seen: &'w Cell<Seen>,
    container: String,
}

impl<'w, 't, A: EnumAccess<'t>> EnumAccess<'t> for WrapEnum<'w, 't, A> {
    type Error = A::Error;
    type Variant = WrapVariant<'w, 't, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'t>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            WrapVariant {
                inner: variant,
                walk: self.walk,
                field: self.field,
                raw: self.raw,
                seen: self.seen,
                container: self.container,
            },
        ))
    }
}

struct WrapVariant<'w, 't, A> {
    inner: A,
    walk: &'w Walk<'t>,
    field: &'w Field,
    raw: &'t str,
    seen: &'w Cell<Seen>,
    container: String,
}

impl<'w, 't, A: VariantAccess<'t>> VariantAccess<'t> for WrapVariant<'w, 't, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'t>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(WrapSeed {
            seed,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
        })
    }

    fn tuple_variant<V: Visitor<'t>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let visitor = self.visitor(visitor, None);
        self.inner.tuple_variant(len, visitor)
    }

    fn struct_variant<V: Visitor<'t>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let shape = MapShape {
            container: self.container.clone(),
            fields: Some(fields),
        };
        let visitor = self.visitor(visitor, Some(shape));
        self.inner.struct_variant(fields, visitor)
    }
}

impl<'w, 't, A> WrapVariant<'w, 't, A> {
    fn visitor<V>(&self, inner: V, map: Option<MapShape>) -> WrapVisitor<'w, 't, V> {
        WrapVisitor {
            inner,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
            map,
            enum_name: None,
        }
    }
}

/// A seed that reads a newtype variant's contents through [`Wrap`].
struct WrapSeed<'w, 't, S> {
    seed: S,
    walk: &'w Walk<'t>,
    field: &'w Field,
    raw: &'t str,
    seen: &'w Cell<Seen>,
}

impl<'w, 't, S: DeserializeSeed<'t>> DeserializeSeed<'t> for WrapSeed<'w, 't, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'t>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Wrap {
            de,
            walk: self.walk,
            field: self.field,
            raw: self.raw,
            seen: self.seen,
        })
    }
}

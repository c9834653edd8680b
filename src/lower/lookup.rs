//! Finding an object pushed earlier in the lowering by kind and name, without scanning every
//! object per question (a mount, an env file and an Ingress each ask; with thousands of
//! services the scans made lowering quadratic).

use super::object::Object;
use crate::hash::FastMap;

/// Position of the first object of each kind and name in the lowering's object list. The
/// list only grows, so the index catches up on the objects pushed since the last question.
#[derive(Debug, Default)]
pub(crate) struct ObjectIndex {
    seen: usize,
    at: FastMap<&'static str, FastMap<String, usize>>,
}

impl ObjectIndex {
    pub fn find(&mut self, objects: &[Object], kind: &str, name: &str) -> Option<usize> {
        for (i, o) in objects.iter().enumerate().skip(self.seen) {
            self.at
                .entry(o.kind())
                .or_default()
                .entry(o.name().to_string())
                .or_insert(i);
        }
        self.seen = objects.len();
        self.at.get(kind)?.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn finds_the_first_by_kind_and_name_as_the_list_grows() {
        let mut index = ObjectIndex::default();
        let mut objects = vec![Object::from(ConfigMap {
            metadata: meta("a"),
            ..Default::default()
        })];
        assert_eq!(index.find(&objects, "ConfigMap", "a"), Some(0));
        assert_eq!(index.find(&objects, "Secret", "a"), None);
        objects.push(Object::from(Secret {
            metadata: meta("a"),
            ..Default::default()
        }));
        objects.push(Object::from(ConfigMap {
            metadata: meta("a"),
            ..Default::default()
        }));
        assert_eq!(index.find(&objects, "Secret", "a"), Some(1));
        assert_eq!(index.find(&objects, "ConfigMap", "a"), Some(0));
        assert_eq!(index.find(&objects, "ConfigMap", "b"), None);
    }
}

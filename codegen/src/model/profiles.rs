//! The profiles (service generations) and the profile lints.

use super::Profile;
use crate::lint::Lints;
use crate::spec::Spec;

/// The profiles (default first), and the profile lints: known ids, every `by_profile` value
/// complete.
pub(super) fn build(spec: &Spec, l: &mut Lints) -> Vec<Profile> {
    let at = crate::error::Location::new("profiles.json", "$");
    let ids = spec.profiles.ids();
    if !spec
        .profiles
        .profiles
        .iter()
        .any(|p| p.id == spec.profiles.default)
    {
        l.push(
            at.join("default"),
            format!("`{}` is not a listed profile", spec.profiles.default),
        );
    }
    for (file, doc) in &spec.documents {
        crate::spec::profiled::check(file, doc, &ids, l);
    }
    let mut out: Vec<Profile> = Vec::new();
    for (i, p) in spec.profiles.profiles.iter().enumerate() {
        let pat = at.join("profiles").join(format!("[{i}]"));
        crate::lint::check_doc(&p.doc, &pat.join("doc"), l);
        crate::lint::check_see(&p.see, &pat.join("see"), l);
        if out.iter().any(|o| o.id == p.id) {
            l.push(pat.join("id"), format!("duplicate profile `{}`", p.id));
        }
        out.push(Profile {
            id: p.id.clone(),
            doc: p.doc.clone(),
            see: p.see.clone(),
        });
    }
    out.sort_by_key(|p| p.id != spec.profiles.default);
    out
}

//! Cases for `json` parameters (the document and each member of its shape) and for the
//! cross-field rules.

use serde_json::Value;

use crate::model::{Action, Api, Operand, Param, RequiredIf, Rule};
use crate::spec::{ParamType, Scalar, ViolationKind};

use super::cases::{Expect, Gen, err};
use super::values::{
    Doc, Wire, doc_parse, doc_remove, doc_set, doc_sort, doc_text, fill_required_if,
    int_violations, put_valid, remove_param, unmet_required_if, valid_doc, valid_member, with,
};

impl Gen<'_> {
    /// The document cases of `json` parameter `f`, then each member's.
    pub(super) fn json_cases(&mut self, f: &Param) {
        let (m, base, wire) = (self.m, self.base.clone(), f.wire.clone());
        self.not_repeatable(f);
        for (mutation, text) in [("not_json", "{"), ("array", "[]"), ("json_string", "\"x\"")] {
            let e = err(f, ViolationKind::Json, &wire);
            self.push(&wire, "json", mutation, false, with(&base, &wire, text), e);
        }
        let mem = m.members(f);
        let Some(doc) = valid_doc(m, mem) else {
            return;
        };
        let doc_req = |d: &Doc| with(&base, &wire, &doc_text(d));
        self.push(
            &wire,
            "json",
            "valid_document",
            true,
            doc_req(&doc),
            Expect::Ok,
        );
        for mf in mem {
            self.member_cases(mem, mf, &doc, &wire, &doc_req);
        }
    }

    fn member_cases(
        &mut self,
        mem: &[Param],
        mf: &Param,
        doc: &Doc,
        wire: &str,
        doc_req: &dyn Fn(&Doc) -> Wire,
    ) {
        let m = self.m;
        let key = &mf.wire;
        let path = format!("{wire}.{key}");
        if mf.required {
            let mut d = doc.clone();
            doc_remove(&mut d, key);
            let e = err(mf, ViolationKind::Missing, &path);
            self.push(&path, "missing", "absent", true, doc_req(&d), e);
        }
        if let Some(ri) = &mf.required_if {
            self.required_if_cases(mf, mem, doc, ri, &path, doc_req);
        }
        // Sets the member, then any other member a `required_if` now asks for, so the
        // mutation stays a single one.
        let apply_member = |v: Value| {
            let mut d = doc.clone();
            doc_set(&mut d, mem, key, v);
            fill_required_if(m, &mut d, mem, Some(key));
            doc_req(&d)
        };
        match mf.ty {
            ParamType::Int => {
                // Numbers as JSON numbers (1.5 too), anything else as a JSON string.
                let apply = |t: &str| match (t.parse::<i64>(), t.parse::<f64>()) {
                    (Ok(n), _) => apply_member(Value::from(n)),
                    (_, Ok(x)) => apply_member(Value::from(x)),
                    _ => apply_member(Value::from(t)),
                };
                self.int_cases(mf, &path, &path, &apply);
            }
            ParamType::String => {
                let apply = |t: &str| apply_member(Value::from(t));
                self.text_cases(mf, &path, &path, &apply);
            }
            ParamType::StringList
            | ParamType::Json
            | ParamType::Bool
            | ParamType::Object
            | ParamType::ObjectList => {}
        }
    }

    fn required_if_cases(
        &mut self,
        mf: &Param,
        mem: &[Param],
        doc: &Doc,
        ri: &RequiredIf,
        path: &str,
        doc_req: &dyn Fn(&Doc) -> Wire,
    ) {
        let m = self.m;
        let Some(ff) = mem.iter().find(|x| x.wire == ri.field) else {
            return;
        };
        let v = match (ff.ty, &ri.equals) {
            (ParamType::Int, Scalar::Int(i)) => Some(Value::from(*i)),
            (ParamType::Int, Scalar::Text(t)) => t.parse::<i64>().ok().map(Value::from),
            (_, e) => Some(Value::from(e.text())),
        };
        let (Some(v), Some(own)) = (v, valid_member(m, mf)) else {
            return;
        };
        let mut d = doc.clone();
        doc_set(&mut d, mem, &ri.field, v);
        doc_set(&mut d, mem, &mf.wire, own);
        fill_required_if(m, &mut d, mem, None);
        if !unmet_required_if(&d, mem).is_empty() {
            return;
        }
        let (field, equals) = (&ri.field, ri.equals.text());
        let mutation = format!("{field}={equals},present");
        self.push(
            path,
            "required_if",
            &mutation,
            true,
            doc_req(&d),
            Expect::Ok,
        );
        doc_remove(&mut d, &mf.wire);
        let unmet = unmet_required_if(&d, mem);
        if unmet.len() == 1 && unmet[0].wire == mf.wire {
            let mutation = format!("{field}={equals},absent");
            let e = err(mf, ViolationKind::Missing, path);
            self.push(path, "required_if", &mutation, true, doc_req(&d), e);
        }
    }

    /// The cases of a cross-field rule: broken, at its boundary, and each operand alone.
    pub(super) fn rule_cases(&mut self, r: &Rule) {
        let [x, y] = r.operands();
        let constraint = format!("rule:{}({},{})", r.kind(), x.path, y.path);
        let (Some(a), Some(b)) = (locate(self.m, self.a, x), locate(self.m, self.a, y)) else {
            return;
        };
        match r {
            Rule::Order { strict, .. } => self.order_cases(r, *strict, &constraint, a, b),
            Rule::Requires { .. } => self.requires_cases(r, &constraint, a, b),
        }
    }

    fn order_cases(
        &mut self,
        r: &Rule,
        strict: bool,
        constraint: &str,
        a: Operand2<'_>,
        b: Operand2<'_>,
    ) {
        let m = self.m;
        let [left, right] = r.operands().map(|o| o.path.clone());
        let (fa, fb) = (a.1.unwrap_or(a.0), b.1.unwrap_or(b.0));
        if fa.ty != ParamType::Int || fb.ty != ParamType::Int {
            return;
        }
        let lo = |f: &Param| f.min.unwrap_or(0);
        // Broken: le: l = r + 1; lt: l = r. Holding at the boundary: le: l = r; lt: l = r - 1.
        let broken_r = lo(fb).max(lo(fa).saturating_sub(i64::from(!strict)));
        let broken = (broken_r.saturating_add(i64::from(!strict)), broken_r);
        let held_r = lo(fb).max(lo(fa).saturating_add(i64::from(strict)));
        let held = (held_r.saturating_sub(i64::from(strict)), held_r);
        for (what, (lv, rv)) in [("violated", broken), ("boundary", held)] {
            if !int_violations(fa, lv).is_empty() || !int_violations(fb, rv).is_empty() {
                continue;
            }
            let mut req = self.base.clone();
            if set_operand(m, &mut req, a, Some(lv)).is_none()
                || set_operand(m, &mut req, b, Some(rv)).is_none()
            {
                continue;
            }
            let expect = if what == "violated" {
                rule_err(r, &left)
            } else {
                Expect::Ok
            };
            let mutation = format!("{what}:{left}={lv},{right}={rv}");
            self.push(&left, constraint, &mutation, true, req, expect);
        }
        for (what, o) in [("left_only", a), ("right_only", b)] {
            let mut req = self.base.clone();
            if set_operand(m, &mut req, o, None).is_some() {
                self.push(&left, constraint, what, true, req, Expect::Ok);
            }
        }
    }

    fn requires_cases(&mut self, r: &Rule, constraint: &str, a: Operand2<'_>, b: Operand2<'_>) {
        let m = self.m;
        let right = r.operands()[1].path.clone();
        if b.1.unwrap_or(b.0).required {
            return;
        }
        let mut broken = self.base.clone();
        if set_operand(m, &mut broken, a, None).is_none() {
            return;
        }
        let e = rule_err(r, &right);
        self.push(
            &right,
            constraint,
            "if_without_then",
            true,
            broken.clone(),
            e,
        );
        let mut both = broken;
        if set_operand(m, &mut both, b, None).is_some() {
            self.push(&right, constraint, "both", true, both, Expect::Ok);
        }
        let mut then_only = self.base.clone();
        if set_operand(m, &mut then_only, b, None).is_some() {
            self.push(&right, constraint, "then_only", true, then_only, Expect::Ok);
        }
    }
}

/// A located operand: the parameter and, for a member path, the member.
type Operand2<'a> = (&'a Param, Option<&'a Param>);

/// Locates a rule operand among the action's parameters and their members.
fn locate<'m>(m: &'m Api, a: &'m Action, o: &Operand) -> Option<Operand2<'m>> {
    let p = a.param(&o.param)?;
    match &o.member {
        None => Some((p, None)),
        Some(key) => m
            .members(p)
            .iter()
            .find(|x| &x.wire == key)
            .map(|x| (p, Some(x))),
    }
}

fn rule_err(r: &Rule, param: &str) -> Expect {
    Expect::Err {
        error: r.error().to_owned(),
        param: param.to_owned(),
    }
}

/// Sets a rule operand (a parameter, or a member of a `json` parameter) to `value`, or to a
/// valid value.
fn set_operand(m: &Api, req: &mut Wire, (p, mf): Operand2<'_>, value: Option<i64>) -> Option<()> {
    match mf {
        None => match value {
            Some(v) => {
                remove_param(req, &p.wire);
                req.insert(p.wire.clone(), v.to_string());
            }
            None => put_valid(m, req, p)?,
        },
        Some(mf) => {
            let mem = m.members(p);
            let mut d: Doc = match req.get(&p.wire) {
                Some(t) => doc_parse(t)?,
                None => valid_doc(m, mem)?,
            };
            doc_sort(&mut d, mem);
            let v = match value {
                Some(v) => Value::from(v),
                None => valid_member(m, mf)?,
            };
            doc_set(&mut d, mem, &mf.wire, v);
            req.insert(p.wire.clone(), doc_text(&d));
        }
    }
    Some(())
}

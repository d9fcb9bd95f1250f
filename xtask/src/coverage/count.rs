//! Counting: a constraint is covered only when a case breaking it **passed** in both harnesses
//! (the SDK's `validate_for` and the mock's dispatcher), or passed in the one harness that can
//! express it while the other cannot (reported apart, as "mock only" or "SDK only"). A case
//! that failed, is a known gap, or has no result covers nothing.

use std::collections::BTreeMap;

use codegen::conformance::Constraint;

/// What one harness did with one case (the values of a results file's `cases`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It gave the expected answer.
    Passed,
    /// It gave another answer.
    Failed,
    /// A known gap that failed as it must.
    ExpectedFailure,
    /// The harness cannot express the case.
    NotApplicable,
}

impl Outcome {
    /// Parses a results file's value.
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "passed" => Outcome::Passed,
            "failed" => Outcome::Failed,
            "expected_failure" => Outcome::ExpectedFailure,
            "not_applicable" => Outcome::NotApplicable,
            _ => return None,
        })
    }

    /// In words: `passed`, `failed`, `expected failure`, `not applicable`.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::ExpectedFailure => "expected failure",
            Outcome::NotApplicable => "not applicable",
        }
    }
}

/// How a covered constraint is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A case breaking it passed in both harnesses.
    Both,
    /// A case breaking it passed in the mock, and the SDK's typed input cannot express it.
    MockOnly,
    /// A case breaking it passed in the SDK, and the mock cannot express it.
    SdkOnly,
}

/// Both harnesses' outcomes for one part of the corpus: case name → outcome.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    /// The SDK's.
    pub sdk: BTreeMap<String, Outcome>,
    /// The mock's.
    pub mock: BTreeMap<String, Outcome>,
}

/// The verdict of one case, or why it covers nothing.
pub fn case_verdict(name: &str, out: &Outcomes) -> Result<Verdict, String> {
    use Outcome::{NotApplicable as Na, Passed};
    let (sdk, mock) = (out.sdk.get(name).copied(), out.mock.get(name).copied());
    match (sdk, mock) {
        (Some(Passed), Some(Passed)) => Ok(Verdict::Both),
        (Some(Na), Some(Passed)) => Ok(Verdict::MockOnly),
        (Some(Passed), Some(Na)) => Ok(Verdict::SdkOnly),
        (Some(Na), Some(Na)) => Err(format!("`{name}`: neither harness can express it")),
        _ => {
            let say = |o: Option<Outcome>| o.map_or("no result", Outcome::words);
            Err(format!("`{name}`: SDK {}, mock {}", say(sdk), say(mock)))
        }
    }
}

/// Per constraint of `all`: the best verdict among the cases breaking it (`breaking`:
/// constraint and case name), or why it is not covered (no case, or each case's outcome).
pub fn count(
    all: &[Constraint],
    breaking: &[(Constraint, String)],
    out: &Outcomes,
) -> BTreeMap<Constraint, Result<Verdict, String>> {
    let mut by: BTreeMap<&Constraint, Vec<&str>> = BTreeMap::new();
    for (c, name) in breaking {
        by.entry(c).or_default().push(name);
    }
    all.iter()
        .map(|c| {
            let names = by.get(c).map_or(&[][..], Vec::as_slice);
            let verdicts: Vec<Result<Verdict, String>> =
                names.iter().map(|n| case_verdict(n, out)).collect();
            let best = verdicts
                .iter()
                .filter_map(|v| v.as_ref().ok())
                .min()
                .copied();
            let v = match best {
                Some(v) => Ok(v),
                None if names.is_empty() => Err("no case breaks it".to_owned()),
                None => Err(verdicts
                    .into_iter()
                    .filter_map(Result::err)
                    .collect::<Vec<_>>()
                    .join("; ")),
            };
            (c.clone(), v)
        })
        .collect()
}

/// The totals of one part of the corpus (or of both together).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Constraints a case passed in both harnesses.
    pub both: usize,
    /// Constraints covered by the mock only (the SDK cannot express their cases).
    pub mock_only: usize,
    /// Constraints covered by the SDK only.
    pub sdk_only: usize,
    /// Every constraint.
    pub total: usize,
}

impl Tally {
    /// The totals of `verdicts`.
    pub fn of(verdicts: &BTreeMap<Constraint, Result<Verdict, String>>) -> Tally {
        let mut t = Tally {
            total: verdicts.len(),
            ..Tally::default()
        };
        for v in verdicts.values() {
            match v {
                Ok(Verdict::Both) => t.both += 1,
                Ok(Verdict::MockOnly) => t.mock_only += 1,
                Ok(Verdict::SdkOnly) => t.sdk_only += 1,
                Err(_) => {}
            }
        }
        t
    }

    /// Constraints covered one way or the other.
    pub fn covered(&self) -> usize {
        self.both + self.mock_only + self.sdk_only
    }

    /// One line: `281/321 (250 in both harnesses, 31 by the mock only, 0 by the SDK only)`.
    pub fn line(&self) -> String {
        format!(
            "{}/{} ({} in both harnesses, {} by the mock only, {} by the SDK only)",
            self.covered(),
            self.total,
            self.both,
            self.mock_only,
            self.sdk_only
        )
    }
}

/// The better of two verdicts of one constraint (from two parts of the corpus).
pub fn better(a: &Result<Verdict, String>, b: &Result<Verdict, String>) -> Result<Verdict, String> {
    match (a, b) {
        (Ok(x), Ok(y)) => Ok(*x.min(y)),
        (Ok(x), Err(_)) | (Err(_), Ok(x)) => Ok(*x),
        (Err(x), Err(y)) => Err(format!("hand-written: {x}; derived: {y}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(param: &str, kind: &str) -> Constraint {
        Constraint {
            action: "SendMessage".into(),
            param: param.into(),
            kind: kind.into(),
        }
    }

    fn outcomes(rows: &[(&str, Outcome, Outcome)]) -> Outcomes {
        let mut o = Outcomes::default();
        for (name, sdk, mock) in rows {
            o.sdk.insert((*name).into(), *sdk);
            o.mock.insert((*name).into(), *mock);
        }
        o
    }

    /// A constraint whose only case failed in one harness is not covered, whatever the other
    /// harness says; a passing case in both covers it; a case the SDK cannot express covers it
    /// for the mock only.
    #[test]
    fn a_case_that_fails_in_one_harness_covers_nothing() {
        use Outcome::*;
        let all = [
            c("delaySeconds", "range"),
            c("msgBody", "length"),
            c("delaySeconds", "type"),
            c("queueName", "pattern"),
            c("queueName", "missing"),
            c("msgBody", "missing"),
        ];
        let breaking = [
            (c("delaySeconds", "range"), "range/max+1".to_owned()),
            (c("msgBody", "length"), "length/empty".to_owned()),
            (c("delaySeconds", "type"), "type/text".to_owned()),
            (c("queueName", "pattern"), "pattern/digit".to_owned()),
            (c("queueName", "pattern"), "pattern/bang".to_owned()),
            (c("queueName", "missing"), "missing/absent".to_owned()),
        ];
        let out = outcomes(&[
            ("range/max+1", Failed, Passed),
            ("length/empty", Passed, Failed),
            ("type/text", NotApplicable, Passed),
            ("pattern/digit", Passed, ExpectedFailure),
            ("pattern/bang", Passed, Passed),
        ]);
        let v = count(&all, &breaking, &out);
        let range = v[&c("delaySeconds", "range")].clone();
        assert_eq!(range, Err("`range/max+1`: SDK failed, mock passed".into()));
        let length = v[&c("msgBody", "length")].clone();
        assert_eq!(
            length,
            Err("`length/empty`: SDK passed, mock failed".into())
        );
        assert_eq!(v[&c("delaySeconds", "type")], Ok(Verdict::MockOnly));
        assert_eq!(v[&c("queueName", "pattern")], Ok(Verdict::Both));
        let missing = v[&c("queueName", "missing")].clone();
        assert_eq!(
            missing,
            Err("`missing/absent`: SDK no result, mock no result".into())
        );
        assert_eq!(v[&c("msgBody", "missing")], Err("no case breaks it".into()));
        let t = Tally::of(&v);
        assert_eq!(
            t,
            Tally {
                both: 1,
                mock_only: 1,
                sdk_only: 0,
                total: 6
            }
        );
        assert_eq!(
            t.line(),
            "2/6 (1 in both harnesses, 1 by the mock only, 0 by the SDK only)"
        );
    }

    /// Neither harness able to express a case covers nothing; the better of two parts wins.
    #[test]
    fn verdicts_combine() {
        use Outcome::*;
        let out = outcomes(&[("x", NotApplicable, NotApplicable), ("y", Passed, Passed)]);
        assert!(case_verdict("x", &out).is_err());
        assert_eq!(case_verdict("y", &out), Ok(Verdict::Both));
        let mock_only = Ok(Verdict::MockOnly);
        assert_eq!(better(&mock_only, &Ok(Verdict::Both)), Ok(Verdict::Both));
        assert_eq!(better(&Err("a".into()), &mock_only), mock_only);
        assert!(better(&Err("a".into()), &Err("b".into())).is_err());
        assert_eq!(Outcome::parse("expected_failure"), Some(ExpectedFailure));
        assert_eq!(Outcome::parse("ok"), None);
    }
}

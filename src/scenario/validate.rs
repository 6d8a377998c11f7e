//! stub
#[derive(Debug, Clone, PartialEq)]
pub struct Problem;
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p")
    }
}
pub(super) fn validate(_: &super::Scenario) -> Vec<Problem> {
    Vec::new()
}

//! One did-you-mean helper for every kind of name (triggers, actions, parameters,
//! fields, steps, routes, variables).
//!
//! In: the unknown name and the names that would have been valid. Out: the closest
//! candidate, if it is close enough to be a likely typo.

/// The candidate closest to `name`, if it is plausibly what was meant.
///
/// A case-insensitive match always wins; otherwise the optimal-string-alignment
/// distance must be at most a third of the longer name (at least 1), and ties go to
/// the candidate listed first.
pub fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    // A name that extends or shortens a candidate (`lowercase` for `lower`), used when
    // no candidate is within edit distance.
    let mut prefix: Option<&'a str> = None;
    for candidate in candidates {
        let candidate = candidate.as_ref();
        if candidate == name {
            continue;
        }
        let candidate_lower = candidate.to_lowercase();
        if candidate_lower == lower {
            return Some(candidate);
        }
        let shorter = lower.chars().count().min(candidate_lower.chars().count());
        if prefix.is_none()
            && shorter >= 3
            && (lower.starts_with(&candidate_lower) || candidate_lower.starts_with(&lower))
        {
            prefix = Some(candidate);
        }
        let distance = strsim::osa_distance(&lower, &candidate_lower);
        let limit = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c).or(prefix)
}

/// `did you mean `x`?`, ready for a diagnostic's help.
pub fn did_you_mean_help<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_typo() {
        let triggers = ["Contact.Identified", "Contact.ListAdded", "Prize.Awarded"];
        assert_eq!(did_you_mean("Contact.Identifed", &triggers), Some("Contact.Identified"));
        assert_eq!(did_you_mean("Prize.Awarder", &triggers), Some("Prize.Awarded"));
    }

    #[test]
    fn prefers_a_case_only_difference() {
        assert_eq!(did_you_mean("send_Email", &["send_sms", "send_email"]), Some("send_email"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(did_you_mean("xyz", &["send_email", "update"]), None);
        assert_eq!(did_you_mean("a", &["bcd"]), None);
        let none: [&str; 0] = [];
        assert_eq!(did_you_mean("a", &none), None);
    }

    #[test]
    fn a_longer_or_shorter_name_is_suggested_last() {
        assert_eq!(did_you_mean("lowercase", &["len", "lower", "upper"]), Some("lower"));
        assert_eq!(did_you_mean("escal", &["escalate", "report"]), Some("escalate"));
        assert_eq!(did_you_mean("ab", &["abcdef"]), None);
    }

    #[test]
    fn short_names_allow_one_edit() {
        assert_eq!(did_you_mean("ld", &["id", "lead"]), Some("id"));
    }

    #[test]
    fn helps_in_words() {
        assert_eq!(did_you_mean_help("score", &["lead"]), None);
        assert_eq!(did_you_mean_help("laed", &["lead"]).as_deref(), Some("did you mean `lead`?"));
    }
}

//! The languages messages are written in, and how to pick one from a tag or
//! an `Accept-Language` header.

/// A language the catalog is written in.
///
/// Only the primary language matters: the texts are the same for `de-DE`,
/// `de-AT` and `de-CH`, and regional formats are not needed for a date in a
/// mail. English is the default because it is the catalog's reference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// English.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Japanese.
    Ja,
    /// Korean.
    Ko,
}

impl Language {
    /// Every supported language, e.g. to offer a choice or to test each.
    pub const ALL: [Language; 5] = [
        Language::En,
        Language::De,
        Language::Fr,
        Language::Ja,
        Language::Ko,
    ];

    /// The language of a BCP 47 tag such as "en", "en-GB", "de-AT" or
    /// "ja_JP", by its primary subtag (case-insensitive); `None` for a
    /// language the catalog does not have or for anything that is not a tag.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Language::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.tag()))
    }

    /// The primary language subtag: "en", "de", "fr", "ja", "ko". Stable, so it
    /// can be stored and parsed back with [`Language::from_tag`].
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Ja => "ja",
            Language::Ko => "ko",
        }
    }

    /// Best supported language from an `Accept-Language` header value
    /// (RFC 9110): the highest q-value wins, the earlier entry on a tie;
    /// entries with `q=0` or a malformed q-value are ignored. `None` if no
    /// entry names a supported language (`*` names none), so the caller can
    /// use the business's own language.
    pub fn negotiate(accept_language: &str) -> Option<Language> {
        let mut best: Option<(u16, Language)> = None;
        for entry in accept_language.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let Some(weight) = weight(parts) else {
                continue;
            };
            if weight == 0 {
                continue;
            }
            let Some(lang) = Language::from_tag(tag) else {
                continue;
            };
            if best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Position in [`Language::ALL`].
    pub(super) fn index(self) -> usize {
        match self {
            Language::En => 0,
            Language::De => 1,
            Language::Fr => 2,
            Language::Ja => 3,
            Language::Ko => 4,
        }
    }
}

/// The q-value of an entry's parameters in thousandths (1000 when absent);
/// `None` if it is malformed.
fn weight<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    let mut weight = 1000;
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            weight = qvalue(value.trim())?;
        }
    }
    Some(weight)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in
/// thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (digit, scale) in fraction.bytes().zip([100, 10, 1]) {
        thousandths += u16::from(digit - b'0') * scale;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

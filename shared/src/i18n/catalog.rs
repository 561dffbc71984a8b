//! The compiled-in catalog: one Fluent bundle per language, built once per
//! process, and the lookups that collect failures instead of panicking.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use super::Language;

/// A bundle that may be shared between threads (the Lambda runtime is
/// multi-threaded); its memoizer is behind a mutex.
type Bundle = FluentBundle<FluentResource>;

/// The catalog source of a language, compiled in so nothing is read at run
/// time.
pub(super) fn source(lang: Language) -> &'static str {
    match lang {
        Language::En => concat!(
            include_str!("locales/en.ftl"),
            "\n",
            include_str!("locales/pages/en.ftl")
        ),
        Language::De => concat!(
            include_str!("locales/de.ftl"),
            "\n",
            include_str!("locales/pages/de.ftl")
        ),
        Language::Fr => concat!(
            include_str!("locales/fr.ftl"),
            "\n",
            include_str!("locales/pages/fr.ftl")
        ),
        Language::Ja => concat!(
            include_str!("locales/ja.ftl"),
            "\n",
            include_str!("locales/pages/ja.ftl")
        ),
        Language::Ko => concat!(
            include_str!("locales/ko.ftl"),
            "\n",
            include_str!("locales/pages/ko.ftl")
        ),
    }
}

/// One bundle per language, in the order of [`Language::ALL`].
pub(super) struct Catalog {
    bundles: [Bundle; 5],
}

impl Catalog {
    /// The product's catalog, built on first use. Problems in the sources
    /// (which the tests rule out) are logged once and leave the entries that
    /// did parse usable.
    pub(super) fn global() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let (catalog, problems) = Catalog::build(source);
            for problem in &problems {
                tracing::error!(problem = %problem, "message catalog source refused");
            }
            catalog
        })
    }

    /// Builds a catalog from the given sources, with every problem found.
    pub(super) fn build(source: impl Fn(Language) -> &'static str) -> (Catalog, Vec<String>) {
        let mut problems = Vec::new();
        let bundles = Language::ALL.map(|lang| bundle(lang, source(lang), &mut problems));
        (Catalog { bundles }, problems)
    }

    fn bundle(&self, lang: Language) -> &Bundle {
        &self.bundles[lang.index()]
    }

    /// A renderer without fallback, so tests see every failure.
    #[cfg(test)]
    pub(super) fn renderer(&self, lang: Language) -> Renderer<'_> {
        Renderer::new(self.bundle(lang))
    }

    /// Runs `f` in `lang`; if any lookup failed, logs it and runs `f` in
    /// English instead. `what` names the entry for the log.
    pub(super) fn with_fallback<T>(
        &self,
        lang: Language,
        what: &'static str,
        mut f: impl FnMut(&mut Renderer<'_>) -> T,
    ) -> T {
        let mut r = Renderer::new(self.bundle(lang));
        let out = f(&mut r);
        if r.errors.is_empty() {
            return out;
        }
        tracing::error!(
            language = lang.tag(),
            message = what,
            errors = ?r.errors,
            "message catalog lookup failed; using English"
        );
        if lang == Language::En {
            return out;
        }
        let mut english = Renderer::new(self.bundle(Language::En));
        let out = f(&mut english);
        if !english.errors.is_empty() {
            tracing::error!(
                message = what,
                errors = ?english.errors,
                "English message catalog lookup failed"
            );
        }
        out
    }
}

fn bundle(lang: Language, source: &str, problems: &mut Vec<String>) -> Bundle {
    let mut bundle = Bundle::new_concurrent(vec![lang.tag().parse().unwrap_or_default()]);
    // Plain-text mail: Unicode isolation marks around values would show up
    // as stray characters in some clients and break copying links and codes.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((partial, errors)) => {
            problems.extend(errors.iter().map(|e| format!("{}: {e}", lang.tag())));
            partial
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        problems.extend(errors.iter().map(|e| format!("{}: {e}", lang.tag())));
    }
    bundle
}

/// Resolves messages of one bundle and remembers what went wrong. The error
/// texts name message ids, attributes and variables, never a value.
pub(super) struct Renderer<'c> {
    bundle: &'c Bundle,
    pub(super) errors: Vec<String>,
}

impl<'c> Renderer<'c> {
    fn new(bundle: &'c Bundle) -> Self {
        Self {
            bundle,
            errors: Vec::new(),
        }
    }

    /// The value of message `id`.
    pub(super) fn value(&mut self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(message) = self.bundle.get_message(id) else {
            self.errors.push(format!("missing message {id}"));
            return String::new();
        };
        let Some(pattern) = message.value() else {
            self.errors.push(format!("message {id} has no value"));
            return String::new();
        };
        let mut errors = Vec::new();
        let out = self.bundle.format_pattern(pattern, args, &mut errors);
        self.errors
            .extend(errors.iter().map(|e| format!("{id}: {e}")));
        out.into_owned()
    }

    /// The attribute `attribute` of message `id`.
    pub(super) fn attribute(&mut self, id: &str, attribute: &str, args: &FluentArgs<'_>) -> String {
        let Some(message) = self.bundle.get_message(id) else {
            self.errors.push(format!("missing message {id}"));
            return String::new();
        };
        let Some(attr) = message.get_attribute(attribute) else {
            self.errors
                .push(format!("missing attribute {id}.{attribute}"));
            return String::new();
        };
        let mut errors = Vec::new();
        let out = self
            .bundle
            .format_pattern(attr.value(), Some(args), &mut errors);
        self.errors
            .extend(errors.iter().map(|e| format!("{id}.{attribute}: {e}")));
        out.into_owned()
    }
}

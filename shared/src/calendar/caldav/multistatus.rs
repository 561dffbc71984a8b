//! WebDAV `207 Multi-Status` answers (RFC 4918 §13) reduced to the
//! properties CalDAV discovery and calendar-query use.
//!
//! Elements are matched by namespace URI and local name, never by prefix:
//! servers pick any prefix (Radicale makes `DAV:` the default namespace,
//! iCloud and others use `D:` or `d:`). The parser is `roxmltree`, which
//! refuses documents with a DTD (so no entity tricks), never recurses on
//! nesting depth and never panics; a node limit bounds memory beyond the
//! fetcher's body cap.

use roxmltree::{Document, Node, ParsingOptions};

/// The WebDAV namespace.
pub(crate) const DAV: &str = "DAV:";
/// The CalDAV namespace (RFC 4791).
pub(crate) const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";

/// Most XML nodes parsed from one answer: far above any calendar home's
/// listing or a window of events (about ten nodes per event), far below
/// what would exhaust a function's memory.
const MAX_NODES: u32 = 250_000;

/// Why an answer could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadXml;

/// One `DAV:response`: its `href` and the properties found with a `2xx`
/// status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DavResponse {
    /// The resource, as the server wrote it (a path or an absolute URL).
    pub href: String,
    /// `DAV:current-user-principal`'s `href`.
    pub principal: Option<String>,
    /// `CALDAV:calendar-home-set`'s `href`s.
    pub calendar_homes: Vec<String>,
    /// Whether `DAV:resourcetype` contains `CALDAV:calendar`.
    pub is_calendar: bool,
    /// `DAV:displayname`, when non-empty.
    pub display_name: Option<String>,
    /// `CALDAV:supported-calendar-component-set`'s component names, when the
    /// server gave the property (absent means every component, RFC 4791
    /// §5.2.3).
    pub components: Option<Vec<String>>,
    /// `CALDAV:calendar-data`, the resource's iCalendar text.
    pub calendar_data: Option<String>,
}

/// Every `DAV:response` of a multistatus body.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<DavResponse>, BadXml> {
    let text = std::str::from_utf8(body).map_err(|_| BadXml)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(|_| BadXml)?;
    let root = document.root_element();
    if !is(root, DAV, "multistatus") {
        return Err(BadXml);
    }
    Ok(children(root, DAV, "response").map(response).collect())
}

fn response(node: Node<'_, '_>) -> DavResponse {
    let mut found = DavResponse {
        href: child(node, DAV, "href").map(text).unwrap_or_default(),
        ..DavResponse::default()
    };
    let succeeded = children(node, DAV, "propstat").filter(|propstat| {
        child(*propstat, DAV, "status")
            .map(text)
            .is_some_and(|status| status_is_success(&status))
    });
    for prop in succeeded.flat_map(|propstat| children(propstat, DAV, "prop")) {
        for property in prop.children().filter(Node::is_element) {
            read_property(&mut found, property);
        }
    }
    found
}

fn read_property(found: &mut DavResponse, property: Node<'_, '_>) {
    if is(property, DAV, "current-user-principal") {
        found.principal = child(property, DAV, "href").map(text);
    } else if is(property, CALDAV, "calendar-home-set") {
        found.calendar_homes = children(property, DAV, "href").map(text).collect();
    } else if is(property, DAV, "resourcetype") {
        found.is_calendar = child(property, CALDAV, "calendar").is_some();
    } else if is(property, DAV, "displayname") {
        found.display_name = Some(text(property)).filter(|name| !name.is_empty());
    } else if is(property, CALDAV, "supported-calendar-component-set") {
        found.components = Some(
            children(property, CALDAV, "comp")
                .filter_map(|comp| comp.attribute("name"))
                .map(str::to_ascii_uppercase)
                .collect(),
        );
    } else if is(property, CALDAV, "calendar-data") {
        found.calendar_data = Some(property.text().unwrap_or_default().to_owned());
    }
}

/// `HTTP/1.1 200 OK` and the like.
fn status_is_success(status: &str) -> bool {
    status
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code.len() == 3 && code.starts_with('2'))
}

fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    let tag = node.tag_name();
    node.is_element() && tag.namespace() == Some(namespace) && tag.name() == name
}

fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(move |child| is(*child, namespace, name))
}

fn child<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    name: &'static str,
) -> Option<Node<'a, 'input>> {
    children(node, namespace, name).next()
}

/// The element's text content, trimmed (hrefs and names are often
/// indented).
fn text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(Node::is_text)
        .filter_map(|child| child.text())
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_decide_not_prefixes() {
        let body = br#"<?xml version="1.0"?>
<x:multistatus xmlns:x="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:fake="urn:other">
  <x:response>
    <x:href>/home/work/</x:href>
    <x:propstat>
      <x:prop>
        <x:resourcetype><x:collection/><cal:calendar/></x:resourcetype>
        <x:displayname> Work </x:displayname>
        <cal:supported-calendar-component-set><cal:comp name="vevent"/></cal:supported-calendar-component-set>
      </x:prop>
      <x:status>HTTP/1.1 200 OK</x:status>
    </x:propstat>
  </x:response>
  <x:response>
    <x:href>/home/impostor/</x:href>
    <x:propstat>
      <x:prop><x:resourcetype><fake:calendar/></x:resourcetype><fake:displayname>No</fake:displayname></x:prop>
      <x:status>HTTP/1.1 200 OK</x:status>
    </x:propstat>
  </x:response>
  <response xmlns="DAV:">
    <href>/home/missing/</href>
    <propstat>
      <prop><displayname>Hidden</displayname><resourcetype><calendar xmlns="urn:ietf:params:xml:ns:caldav"/></resourcetype></prop>
      <status>HTTP/1.1 404 Not Found</status>
    </propstat>
  </response>
</x:multistatus>"#;
        let responses = parse(body).expect("parse");
        assert_eq!(responses.len(), 3);
        assert_eq!(
            responses.first(),
            Some(&DavResponse {
                href: "/home/work/".into(),
                is_calendar: true,
                display_name: Some("Work".into()),
                components: Some(vec!["VEVENT".into()]),
                ..DavResponse::default()
            })
        );
        let impostor = responses.get(1).expect("second");
        assert!(!impostor.is_calendar);
        assert_eq!(impostor.display_name, None);
        let missing = responses.get(2).expect("third");
        assert!(!missing.is_calendar && missing.display_name.is_none());
    }

    #[test]
    fn calendar_data_keeps_its_text_and_cdata() {
        let body = br#"<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop>
<c:calendar-data><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR
]]></c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
</d:multistatus>"#;
        let responses = parse(body).expect("parse");
        assert_eq!(
            responses.first().and_then(|r| r.calendar_data.as_deref()),
            Some("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
        );
    }

    #[test]
    fn hostile_documents_fail_cleanly() {
        let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<d:multistatus xmlns:d="DAV:"><d:response><d:href>&lol2;</d:href></d:response></d:multistatus>"#;
        assert_eq!(parse(laughs), Err(BadXml));
        let external = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><d:multistatus xmlns:d="DAV:">&e;</d:multistatus>"#;
        assert_eq!(parse(external), Err(BadXml));

        let depth = 100_000;
        let mut deep = String::from(r#"<d:multistatus xmlns:d="DAV:">"#);
        deep.push_str(&"<d:x>".repeat(depth));
        deep.push_str(&"</d:x>".repeat(depth));
        deep.push_str("</d:multistatus>");
        assert_eq!(parse(deep.as_bytes()).map(|r| r.len()), Ok(0));

        let many = format!(
            r#"<d:multistatus xmlns:d="DAV:">{}</d:multistatus>"#,
            "<d:y/>".repeat(MAX_NODES as usize + 1)
        );
        assert_eq!(parse(many.as_bytes()), Err(BadXml));

        for junk in [
            &b""[..],
            b"\xff\xfe<",
            b"<d:multistatus xmlns:d=\"DAV:\">",
            b"<multistatus/>",
            b"BEGIN:VCALENDAR",
            b"<d:error xmlns:d=\"DAV:\"/>",
        ] {
            assert_eq!(parse(junk), Err(BadXml), "{junk:?}");
        }
    }

    #[test]
    fn odd_statuses_are_not_success() {
        assert!(status_is_success("HTTP/1.1 200 OK"));
        assert!(status_is_success("HTTP/1.1 207"));
        for status in [
            "",
            "HTTP/1.1",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 2000",
            "200",
        ] {
            assert!(!status_is_success(status), "{status}");
        }
    }
}

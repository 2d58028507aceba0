//! The corpus: the Markdown pages of `docs/` (embedded in the binary) cut into passages, one
//! per `##` section plus the page summary, and one generated reference passage per catalog
//! operation (`ops/<tool>/<Name>`).

use include_dir::{Dir, include_dir};
use serde_json::Value;

use crate::catalog;

/// `docs/`, embedded at compile time so the server works from any directory.
static DOCS_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/docs");

/// A piece of a passage: prose (a paragraph or a list item) or a fenced code block.
#[derive(Debug, Clone)]
pub enum Block {
    Prose(String),
    Code { lang: String, text: String },
}

/// One searchable, citable unit.
#[derive(Debug, Clone)]
pub struct Passage {
    /// `guides/sso-saml.md` (relative to `docs/`) or `ops/<tool>/<Name>`.
    pub page: String,
    /// The page title.
    pub title: String,
    /// The section heading (the page title for the summary passage).
    pub section: String,
    /// The heading's anchor (GitHub-style slug).
    pub anchor: String,
    /// `docs/<page>#<anchor>` or `ops/<tool>/<Name>`.
    pub link: String,
    /// The page summary (first paragraph), indexed with every passage of the page.
    pub context: String,
    pub blocks: Vec<Block>,
    /// Whether this passage is generated from the operation catalog.
    pub is_op: bool,
}

impl Passage {
    /// Everything searchable in the passage body, prose and code.
    pub fn body(&self) -> String {
        let mut s = String::new();
        for b in &self.blocks {
            match b {
                Block::Prose(t) | Block::Code { text: t, .. } => {
                    s.push_str(t);
                    s.push('\n');
                }
            }
        }
        s
    }
}

/// The embedded Markdown pages as `(path relative to docs/, text)`, sorted by path.
pub fn pages() -> Vec<(String, &'static str)> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
        for f in dir.files() {
            if f.path().extension().is_some_and(|e| e == "md") {
                if let Some(text) = f.contents_utf8() {
                    out.push((f.path().to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    let mut out = Vec::new();
    walk(&DOCS_DIR, &mut out);
    out.sort();
    out
}

/// GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens.
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

struct Section {
    heading: String,
    blocks: Vec<Block>,
}

/// Splits Markdown into the title, the sections (the first one, before any `##`, has an
/// empty heading) and their blocks. `###` headings stay inside their section as prose.
fn parse(text: &str) -> (String, Vec<Section>) {
    let mut title = String::new();
    let mut sections = vec![Section {
        heading: String::new(),
        blocks: Vec::new(),
    }];
    let mut para = String::new();
    let mut code: Option<(String, String)> = None;
    let flush = |para: &mut String, sections: &mut Vec<Section>| {
        let p = para.trim();
        if !p.is_empty() {
            sections
                .last_mut()
                .expect("one section")
                .blocks
                .push(Block::Prose(p.to_owned()));
        }
        para.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some((lang, body)) = &mut code {
            if trimmed.starts_with("```") {
                let block = Block::Code {
                    lang: std::mem::take(lang),
                    text: std::mem::take(body).trim_end().to_owned(),
                };
                sections.last_mut().expect("one section").blocks.push(block);
                code = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
            continue;
        }
        if let Some(lang) = trimmed.strip_prefix("```") {
            flush(&mut para, &mut sections);
            code = Some((lang.trim().to_owned(), String::new()));
        } else if let Some(h) = line.strip_prefix("# ") {
            flush(&mut para, &mut sections);
            title = h.trim().to_owned();
        } else if let Some(h) = line.strip_prefix("## ") {
            flush(&mut para, &mut sections);
            sections.push(Section {
                heading: h.trim().to_owned(),
                blocks: Vec::new(),
            });
        } else if trimmed.is_empty() {
            flush(&mut para, &mut sections);
        } else if is_list_item(trimmed) || trimmed.starts_with('|') || line.starts_with("###") {
            // list items, table rows and sub-headings are blocks of their own
            flush(&mut para, &mut sections);
            para.push_str(trimmed.trim_start_matches('#').trim());
            if line.starts_with("###") || trimmed.starts_with('|') {
                flush(&mut para, &mut sections);
            }
        } else {
            if !para.is_empty() {
                para.push(' ');
            }
            para.push_str(trimmed);
        }
    }
    flush(&mut para, &mut sections);
    (title, sections)
}

fn is_list_item(line: &str) -> bool {
    line.starts_with("- ") || line.starts_with("* ") || {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && line[digits..].starts_with(". ")
    }
}

/// The passages of one Markdown page.
pub fn page_passages(page: &str, text: &str) -> Vec<Passage> {
    let (title, sections) = parse(text);
    let title = if title.is_empty() {
        page.to_owned()
    } else {
        title
    };
    let context = sections
        .first()
        .and_then(|s| {
            s.blocks.iter().find_map(|b| {
                if let Block::Prose(p) = b {
                    Some(p.clone())
                } else {
                    None
                }
            })
        })
        .unwrap_or_default();
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for s in sections {
        if s.blocks.is_empty() {
            continue;
        }
        let heading = if s.heading.is_empty() {
            title.clone()
        } else {
            s.heading
        };
        let base = slug(&heading);
        let n = seen.iter().filter(|a| **a == base).count();
        seen.push(base.clone());
        let anchor = if n == 0 { base } else { format!("{base}-{n}") };
        out.push(Passage {
            page: page.to_owned(),
            title: title.clone(),
            link: format!("docs/{page}#{anchor}"),
            section: heading,
            anchor,
            context: context.clone(),
            blocks: s.blocks,
            is_op: false,
        });
    }
    out
}

/// "SearchUsers" -> "Search Users", so that an operation name is found by its words.
pub fn split_camel(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.push(c);
    }
    out
}

fn type_of(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => match schema.get("items").map(type_of) {
            Some(i) if !i.is_empty() => format!("array of {i}"),
            _ => "array".to_owned(),
        },
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => r.rsplit('/').next().unwrap_or(r).to_owned(),
            None => String::new(),
        },
    }
}

/// The reference passage of one operation: summary, description, arguments, an example.
pub fn op_passage(op: catalog::Op) -> Passage {
    let d = op.def();
    let c = op.compiled();
    let mut blocks = vec![Block::Prose(format!(
        "`{}` is an operation of the `{}` tool ({} operation): {}",
        d.name,
        d.tool,
        d.class.as_str(),
        d.summary
    ))];
    for para in d
        .description
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
    {
        if !para.is_empty() {
            blocks.push(Block::Prose(para));
        }
    }
    let required: Vec<&str> = c
        .input
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = c
        .input
        .get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
    {
        blocks.push(Block::Prose("Arguments:".to_owned()));
        for (name, schema) in props {
            let ty = type_of(schema);
            let req = if required.contains(&name.as_str()) {
                ", required"
            } else {
                ""
            };
            let desc = schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim();
            let head = if ty.is_empty() {
                format!(
                    "- `{name}`{}",
                    if req.is_empty() { "" } else { " (required)" }
                )
            } else {
                format!("- `{name}` ({ty}{req})")
            };
            blocks.push(Block::Prose(if desc.is_empty() {
                head
            } else {
                format!("{head}: {desc}")
            }));
        }
    } else {
        blocks.push(Block::Prose("It takes no arguments.".to_owned()));
    }
    let example = c.examples.as_array().and_then(|ex| {
        ex.iter()
            .find(|e| e.get("error").is_none())
            .or_else(|| ex.first())
    });
    let args = example
        .and_then(|e| e.get("args"))
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    if let Some(t) = example.and_then(|e| e.get("title")).and_then(Value::as_str) {
        blocks.push(Block::Prose(format!("Example ({t}):")));
    } else {
        blocks.push(Block::Prose("Call it as:".to_owned()));
    }
    let call = serde_json::json!({"operation": d.name, "args": args});
    blocks.push(Block::Code {
        lang: "json".to_owned(),
        text: format!(
            "// {}\n{}",
            d.tool,
            serde_json::to_string_pretty(&call).unwrap_or_default()
        ),
    });
    let page = format!("ops/{}/{}", d.tool, d.name);
    Passage {
        link: page.clone(),
        page,
        title: format!("{} ({})", d.name, d.tool),
        section: "Reference".to_owned(),
        anchor: d.name.to_lowercase(),
        context: format!(
            "{} {} {}",
            split_camel(d.name),
            d.tool.replace('_', " "),
            d.summary
        ),
        blocks,
        is_op: true,
    }
}

/// Every passage: the pages of `docs/`, then one per catalog operation.
pub fn passages() -> Vec<Passage> {
    let mut out: Vec<Passage> = pages()
        .iter()
        .flat_map(|(p, t)| page_passages(p, t))
        .collect();
    out.extend(catalog::all().map(op_passage));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_titles_and_code() {
        let md = "# Title here\n\nSummary line one\ncontinues.\n\n## First part\n\nText.\n\n```python\n# not a heading\nx = 1\n```\n\n- item one\n- item two\n\n## First part\n\nAgain.\n";
        let p = page_passages("guides/x.md", md);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].section, "Title here");
        assert_eq!(p[0].context, "Summary line one continues.");
        assert_eq!(p[1].anchor, "first-part");
        assert_eq!(p[2].anchor, "first-part-1");
        assert_eq!(p[1].link, "docs/guides/x.md#first-part");
        assert!(
            matches!(&p[1].blocks[1], Block::Code { lang, text } if lang == "python" && text.contains("# not a heading"))
        );
        assert_eq!(p[1].blocks.len(), 4);
    }

    #[test]
    fn slugs_like_github() {
        assert_eq!(
            slug("Multi-factor authentication (MFA/2FA) and step-up"),
            "multi-factor-authentication-mfa2fa-and-step-up"
        );
        assert_eq!(slug("`session` whoami"), "session-whoami");
    }

    #[test]
    fn camel_case_split() {
        assert_eq!(split_camel("SearchUsers"), "Search Users");
        assert_eq!(split_camel("getProjectStatus"), "get Project Status");
    }
}

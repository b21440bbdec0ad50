//! The SQL both engines share, rewritten for PostgreSQL.

/// Rewrites a statement in the SQL both engines share for PostgreSQL: `?N` and `?` become `$N`;
/// `json_extract(x, '$.a.b')` becomes `(x)::jsonb #>> '{a,b}'`; `json_each(x)` (its `value`
/// column) becomes `json_array_elements_text(x)`. Quoted text and identifiers pass untouched.
pub fn to_postgres(sql: &str) -> String {
    let sql = rewrite_calls(sql);
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1u32;
    let mut highest = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    // SQLite: a bare `?` is one more than the largest number so far.
                    highest.max(next_bare - 1) + 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                next_bare = n + 1;
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            c => out.push(c),
        }
    }
    out
}

/// The calls to SQLite's JSON functions, rewritten for PostgreSQL.
fn rewrite_calls(sql: &str) -> String {
    if !sql.contains("json_") {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    loop {
        let extract = rest.find("json_extract(");
        let each = rest.find("json_each(");
        let (at, name) = match (extract, each) {
            (Some(a), Some(b)) if b < a => (b, "json_each("),
            (Some(a), _) => (a, "json_extract("),
            (None, Some(b)) => (b, "json_each("),
            (None, None) => break,
        };
        out.push_str(&rest[..at]);
        let args_start = at + name.len();
        let Some(len) = matching_paren(&rest[args_start..]) else {
            out.push_str(&rest[at..]);
            return out;
        };
        let args = rewrite_calls(&rest[args_start..args_start + len]);
        let parts = split_top_level(&args);
        if name == "json_each(" {
            out.push_str(&format!(
                "json_array_elements_text(CAST({} AS TEXT)::json)",
                args.trim()
            ));
        } else if let [value, path] = parts.as_slice() {
            let path = path.trim().trim_matches('\'');
            let keys: Vec<&str> = path
                .trim_start_matches('$')
                .split('.')
                .filter(|k| !k.is_empty())
                .collect();
            out.push_str(&format!(
                "(CAST({} AS jsonb) #>> '{{{}}}')",
                value.trim(),
                keys.join(",")
            ));
        } else {
            out.push_str(name);
            out.push_str(&args);
            out.push(')');
        }
        rest = &rest[args_start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The length of the text up to the `)` closing an already opened parenthesis.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(i),
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

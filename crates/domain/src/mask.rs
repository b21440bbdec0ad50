//! Masking: how personal data is shown wherever it is not being edited — the desk's screens
//! and printed documents, the hub's pages, the logs. One rule per kind of datum, here only.

/// A phone number shown outside the draft: `139****0001`, `0631-****001`.
pub fn phone(p: &str) -> String {
    let p = p.trim();
    if p.is_empty() {
        return String::new();
    }
    match p.split_once('-') {
        Some((area, local)) if local.chars().count() > 3 => {
            let tail: String = local.chars().skip(local.chars().count() - 3).collect();
            format!("{area}-****{tail}")
        }
        _ if p.chars().count() == 11 => {
            let c: Vec<char> = p.chars().collect();
            format!(
                "{}****{}",
                c[..3].iter().collect::<String>(),
                c[7..].iter().collect::<String>()
            )
        }
        _ => number(p),
    }
}

/// An address shown outside the draft: its first six characters (the province and city,
/// usually), the rest hidden — `山东省威海市****`.
pub fn address(a: &str) -> String {
    let a = a.trim();
    if a.is_empty() {
        return String::new();
    }
    let head: String = a.chars().take(6).collect();
    format!("{head}****")
}

/// Whether a form field holds an address (by its label).
pub fn is_address_field(label: &str) -> bool {
    label.contains("地址") || label.contains("住址") || label.contains("住所")
}

/// A number as printed on documents and shown outside the draft: never whole.
pub fn number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    match chars.len() {
        18 => format!(
            "{}********{}",
            chars[..6].iter().collect::<String>(),
            chars[14..].iter().collect::<String>()
        ),
        l if l > 8 => format!(
            "{}{}{}",
            chars[..4].iter().collect::<String>(),
            "*".repeat(l - 8),
            chars[l - 4..].iter().collect::<String>()
        ),
        _ => "*".repeat(chars.len()),
    }
}

/// `王小明` → `王**`: the family name only.
pub fn name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_datum_is_masked_by_its_rule() {
        assert_eq!(number("371082198410031616"), "371082********1616");
        assert_eq!(number("91371082MAQAN80L2A"), "913710********0L2A");
        assert_eq!(number("E12345678"), "E123*5678");
        assert_eq!(number("1234"), "****");
        assert_eq!(phone("13906310001"), "139****0001");
        assert_eq!(phone("0631-7654001"), "0631-****001");
        assert_eq!(phone(""), "");
        assert_eq!(
            address("山东省威海市荣成市成山大道 1 号"),
            "山东省威海市****"
        );
        assert!(is_address_field("住所") && !is_address_field("姓名"));
        assert_eq!(name("王小明"), "王**");
    }
}

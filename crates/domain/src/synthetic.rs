//! A deterministic synthetic catalog of any size, built from a sample catalog's vocabulary,
//! for benchmarks and load tests. Same sample, size and seed → the same catalog.

use crate::catalog::{Bundle, Catalog, ItemLevel, ServiceItem};

/// xorshift64*: small, fast and reproducible; no cryptographic use.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn halves(name: &str) -> (String, String) {
    let chars: Vec<char> = name.chars().collect();
    let mid = chars.len() / 2;
    (chars[..mid].iter().collect(), chars[mid..].iter().collect())
}

/// `n` items in families of one main item (a container) and three leaves, each leaf a copy of a
/// sample leaf (scenarios, materials and fields included) under a new code and a name spliced
/// from two sample names; one bundle per 100 families.
pub fn generate(sample: &Catalog, n: usize, seed: u64) -> Catalog {
    let mut rng = Rng::new(seed);
    let containers = sample.container_codes();
    let leaves: Vec<&ServiceItem> = sample
        .items
        .iter()
        .filter(|it| !containers.contains(it.code.as_str()))
        .collect();
    let mains: Vec<&ServiceItem> = sample
        .items
        .iter()
        .filter(|it| containers.contains(it.code.as_str()))
        .collect();
    assert!(
        !leaves.is_empty() && !mains.is_empty(),
        "sample needs leaves and containers"
    );
    let parts: Vec<(String, String)> = sample.items.iter().map(|it| halves(&it.name)).collect();
    let name = |rng: &mut Rng| {
        let a = &parts[rng.below(parts.len())].0;
        let b = &parts[rng.below(parts.len())].1;
        format!("{a}{b}")
    };

    let mut items = Vec::with_capacity(n);
    let mut bundles = Vec::new();
    let mut family = 0usize;
    while items.len() < n {
        let main_code = format!("{:06}{:03}000", 800_000 + family / 999, family % 999 + 1);
        let template = mains[rng.below(mains.len())];
        let mut main = template.clone();
        main.code = main_code.clone();
        main.name = name(&mut rng);
        main.parent = None;
        main.level = ItemLevel::Main;
        let domain = sample.domains[rng.below(sample.domains.len())].code.clone();
        main.domain = domain.clone();
        items.push(main);
        let mut family_leaves = Vec::new();
        for sub in 1..=3 {
            if items.len() >= n {
                break;
            }
            let mut leaf = leaves[rng.below(leaves.len())].clone();
            leaf.code = format!("{}{:03}", &main_code[..9], sub);
            leaf.name = name(&mut rng);
            leaf.parent = Some(main_code.clone());
            leaf.level = ItemLevel::Sub;
            leaf.domain = domain.clone();
            for (i, sc) in leaf.scenarios.iter_mut().enumerate() {
                sc.code = format!("{}-{:02}", leaf.code, i + 1);
            }
            family_leaves.push(leaf.code.clone());
            items.push(leaf);
        }
        if items.len() == n && family_leaves.is_empty() {
            // A container without leaves would be an invalid catalog: make it a leaf instead.
            let last = items.last_mut().expect("just pushed");
            let leaf = leaves[rng.below(leaves.len())];
            last.scenarios = leaf.scenarios.clone();
            for (i, sc) in last.scenarios.iter_mut().enumerate() {
                sc.code = format!("{}-{:02}", last.code, i + 1);
            }
        }
        if family % 100 == 99 && !family_leaves.is_empty() {
            let template = &sample.bundles[bundles.len() % sample.bundles.len()];
            bundles.push(Bundle {
                code: format!("YJS8{:08}", bundles.len() + 1),
                name: format!("{}一件事", name(&mut rng)),
                lead_agency: template.lead_agency.clone(),
                items: family_leaves,
                promised_days: template.promised_days,
                note: template.note.clone(),
            });
        }
        family += 1;
    }

    Catalog {
        version: format!("synthetic-{n}-{seed}"),
        region: sample.region.clone(),
        source_note: "synthetic catalog for benchmarks".into(),
        domains: sample.domains.clone(),
        items,
        bundles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::JsonLocator;

    #[test]
    fn synthetic_catalog_is_valid_and_deterministic() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        let sample = Catalog::from_json_str(&text).unwrap();
        let a = generate(&sample, 2001, 7);
        assert_eq!(a.items.len(), 2001);
        assert_eq!(a.validate(&JsonLocator), vec![]);
        assert_eq!(a, generate(&sample, 2001, 7));
        assert_ne!(a.items[1].name, generate(&sample, 2001, 8).items[1].name);
        assert_eq!(a.bundles.len(), 5);
    }
}

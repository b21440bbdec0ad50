//! 申请人: a person or an organisation, with an optional agent (代办人) and the record of who
//! helped (帮办代办). Numbers are kept as entered; pre-review checks them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ApplicantKind {
    #[default]
    Person,
    Organisation,
}

/// Someone applying on the applicant's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// 帮办代办: the staff member who helped, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assist {
    pub helper: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub kind: ApplicantKind,
    pub name: String,
    /// A person's ID number or an organisation's unified social credit code.
    pub number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// An organisation's legal representative (法定代表人).
    pub legal_rep: Option<String>,
    pub agent: Option<Agent>,
    pub assist: Option<Assist>,
    /// What the ID card reader read, when the person was read from their card.
    #[serde(default)]
    pub card: Option<CardInfo>,
}

/// The card's own fields besides name, number and address (居民身份证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    pub sex: String,
    pub ethnicity: String,
    pub birth_date: String,
    pub authority: String,
    pub valid_from: String,
    /// `None`: 长期.
    pub valid_until: Option<String>,
    /// The card photo, attached to the case under this SHA-256.
    pub photo_sha256: Option<String>,
}

//! Spending categories as customers speak of them, derived from ISO 18245
//! codes for card payments and from the transaction kind otherwise.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Groceries,
    Food,
    Transport,
    Fuel,
    Travel,
    Shopping,
    Entertainment,
    Health,
    Utilities,
    Education,
    Subscriptions,
    Rent,
    Income,
    Transfers,
    Cash,
    Other,
}

impl Category {
    pub const ALL: [Category; 16] = [
        Category::Groceries,
        Category::Food,
        Category::Transport,
        Category::Fuel,
        Category::Travel,
        Category::Shopping,
        Category::Entertainment,
        Category::Health,
        Category::Utilities,
        Category::Education,
        Category::Subscriptions,
        Category::Rent,
        Category::Income,
        Category::Transfers,
        Category::Cash,
        Category::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Groceries => "groceries",
            Category::Food => "food",
            Category::Transport => "transport",
            Category::Fuel => "fuel",
            Category::Travel => "travel",
            Category::Shopping => "shopping",
            Category::Entertainment => "entertainment",
            Category::Health => "health",
            Category::Utilities => "utilities",
            Category::Education => "education",
            Category::Subscriptions => "subscriptions",
            Category::Rent => "rent",
            Category::Income => "income",
            Category::Transfers => "transfers",
            Category::Cash => "cash",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The category of a card payment with this merchant category code.
    pub fn from_mcc(mcc: &str) -> Category {
        let Ok(code) = mcc.parse::<u16>() else {
            return Category::Other;
        };
        match code {
            5411 | 5422 | 5441 | 5451 | 5462 | 5499 => Category::Groceries,
            5811..=5814 => Category::Food,
            4111 | 4112 | 4121 | 4131 | 4784 | 7523 => Category::Transport,
            5541 | 5542 | 5983 => Category::Fuel,
            3000..=3999 | 4411 | 4511 | 4722 | 7011 | 7012 | 7512 => Category::Travel,
            5200..=5399 | 5611..=5699 | 5712..=5735 | 5900..=5999 => {
                if matches!(code, 5912) {
                    Category::Health
                } else {
                    Category::Shopping
                }
            }
            7832 | 7841 | 7922 | 7929 | 7932 | 7933 | 7941 | 7991..=7999 => Category::Entertainment,
            8011..=8099 | 5047 | 5122 => Category::Health,
            4814 | 4816 | 4899 | 4900 => Category::Utilities,
            8211..=8299 => Category::Education,
            6010 | 6011 => Category::Cash,
            _ => Category::Other,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_common_codes() {
        assert_eq!(Category::from_mcc("5411"), Category::Groceries);
        assert_eq!(Category::from_mcc("5812"), Category::Food);
        assert_eq!(Category::from_mcc("5814"), Category::Food);
        assert_eq!(Category::from_mcc("4511"), Category::Travel);
        assert_eq!(Category::from_mcc("5912"), Category::Health);
        assert_eq!(Category::from_mcc("5732"), Category::Shopping);
        assert_eq!(Category::from_mcc("4900"), Category::Utilities);
        assert_eq!(Category::from_mcc("xx"), Category::Other);
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }
}

//! Typed identifiers. Each wraps a string that the owning role made; the
//! types keep a customer id from being passed where an account id belongs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A bank customer, e.g. `cus_000042`.
    CustomerId
);
id_type!(
    /// A deposit or credit-card account, e.g. `acc_000042_1`.
    AccountId
);
id_type!(
    /// A payment card, e.g. `crd_000042_1`.
    CardId
);
id_type!(
    /// A merchant known to the bank, e.g. `mer_0042`.
    MerchantId
);
id_type!(
    /// A booked transaction, unique within the bank node.
    TransactionId
);
id_type!(
    /// A consent artefact's id, made by the consent manager.
    ConsentId
);

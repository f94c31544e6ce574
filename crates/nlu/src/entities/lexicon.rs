//! Word lists: function words, categories, calendar words, number words,
//! currencies, and the small transliteration tables for common brand and
//! city names. Every entry is in normalised form (lower case, nukta
//! folded, chandrabindu as anusvara), as [`crate::text::normalise`] emits.

use anumati_domain::{Category, Currency};

use super::tokens::Sent;

/// Function words and everyday chat words in English, Hinglish and Hindi.
/// These never match a merchant, place or payee, not even exactly.
#[rustfmt::skip]
pub(crate) const STOPWORDS: &[&str] = &[
    // English
    "a", "about", "above", "after", "ago", "all", "also", "am", "an", "and", "any", "are", "around",
    "as", "at", "be", "been", "before", "below", "between", "but", "by", "can", "could", "day",
    "days", "did", "do", "does", "done", "each", "every", "first", "for", "from", "get", "give",
    "got", "had", "has", "have", "he", "hello", "her", "here", "hey", "hi", "him", "his", "how",
    "i", "if", "im", "in", "into", "is", "it", "its", "just", "last", "latest", "less", "list",
    "ll", "many", "me", "more", "most", "much", "my", "next", "no", "not", "now", "of", "ok",
    "okay", "on", "one", "only", "or", "other", "our", "out", "over", "past", "per", "please",
    "pls", "plz", "previous", "recent", "s", "see", "send", "sent", "shall", "she", "should",
    "show", "since", "so", "some", "t", "tell", "than", "thank", "thanks", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "till", "to", "top", "total",
    "under", "until", "up", "upto", "us", "via", "want", "was", "we", "week", "were", "what",
    "whats", "when", "where", "which", "who", "why", "will", "with", "would", "yes", "you", "your",
    "month", "months", "year", "years", "weeks", "today", "yesterday", "tomorrow", "pay", "paid",
    "spend", "spent", "spending", "money", "amount", "balance", "account", "card", "transfer",
    "find", "check", "view", "need", "make", "made", "ask", "know", "let", "like", "go", "went",
    "same",
    // Hinglish
    "aaj", "aj", "kal", "parso", "parson", "mein", "mai", "main", "mera", "meri", "mere", "maine",
    "mujhe", "muje", "hum", "humne", "ko", "ka", "ki", "ke", "se", "par", "pe", "tak", "hai",
    "hain", "h", "he", "hei", "tha", "thi", "the", "ho", "hua", "hui", "hue", "huye", "kiya",
    "kiye", "karo", "kar", "karna", "karni", "karne", "kardo", "de", "dena", "diya", "diye",
    "dijiye", "bhej", "bhejo", "bhejna", "bhejdo", "bheja", "bheje", "kitna", "kitne", "kitni",
    "kya", "kaun", "kab", "kahan", "kaise", "aur", "ya", "bhi", "toh", "wala", "wale", "wali",
    "vala", "vale", "usse", "uske", "uss", "iss", "ye", "yeh", "woh", "wo", "vo", "pichle",
    "pichhle", "pichla", "agle", "pehle", "pahle", "baad", "abhi", "ab", "sab", "sabhi", "kharch",
    "kharcha", "kharche", "paisa", "paise", "batao", "bataiye", "btao", "dikhao", "dikhaiye",
    "chahiye", "ji", "na", "nahi", "nahin", "mat", "ek", "bas", "zara", "jara", "din", "hafte",
    "hafta", "mahine", "mahina", "saal", "sal", "gaya", "gaye", "gayi", "liya", "lena", "bhai",
    "yaar", "haan", "han", "accha", "acha", "theek", "thik", "kuch", "koi", "apna", "apne", "apni",
    "tum", "aap", "aapka", "unko", "use", "usko", "isko", "bata",
    // Hindi
    "कल", "आज", "परसों", "में", "मे", "मैं", "मैंने", "मेरा", "मेरी", "मेरे", "मुझे", "हम", "को",
    "का", "की", "के", "से", "पर", "पे", "तक", "है", "हैं", "था", "थी", "थे", "हो", "हुआ", "हुई",
    "हुए", "किया", "किए", "किये", "करो", "कर", "करना", "करें", "दो", "दे", "देना", "दिया", "दीजिए",
    "भेज", "भेजो", "भेजना", "भेजें", "भेजा", "कितना", "कितने", "कितनी", "क्या", "कौन", "कब", "कहां",
    "कैसे", "और", "या", "भी", "तो", "वाला", "वाले", "वाली", "उससे", "उसके", "उस", "इस", "यह", "ये",
    "वह", "वो", "पिछले", "पिछला", "अगले", "पहले", "बाद", "अभी", "अब", "सब", "कुल", "खर्च", "खर्चा",
    "पैसे", "रुपये", "बताओ", "बताइए", "दिखाओ", "दिखाइए", "चाहिए", "जी", "ना", "नहीं", "एक", "दिन",
    "हफ्ते", "महीने", "महीना", "साल", "गया", "गए", "गई", "लिया", "कुछ", "कोई", "आप", "आपका", "अपना",
    "अपने", "लिए", "हां", "जो",
];

/// Whether `word` is a function word (never a name).
pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Words that carry the extractor's own meaning (categories, calendar,
/// amounts, counts) beyond [`STOPWORDS`]: they may name a merchant only
/// exactly and in full, never fuzzily ("rent" is not "RentoMojo").
pub(crate) fn is_common(word: &str) -> bool {
    is_stopword(word)
        || CATEGORY_WORDS
            .iter()
            .any(|(p, _)| p.split(' ').any(|w| w == word))
        || month(word).is_some()
        || weekday(word).is_some()
        || unit(word).is_some()
        || scale(word).is_some()
        || currency_word(word).is_some()
        || number_word(word).is_some()
        || COUNT_NOUNS.contains(&word)
        || COMMON_EXTRA.contains(&word)
}

/// Further ordinary words that must not be taken for a near-miss spelling of a name.
#[rustfmt::skip]
const COMMON_EXTRA: &[&str] = &[
    "payment", "payments", "bill", "bills", "order", "orders", "shop", "store", "bank", "upi",
    "weekend", "weekends", "between", "above", "under", "over", "below", "maximum", "minimum",
    "max", "min", "zyada", "jyada", "kam", "upar", "neeche", "niche", "beech", "bich", "and",
    "amazing", "among", "again", "away", "back", "best", "biggest", "big", "small", "high", "low",
    "lowest", "highest", "spends", "expense", "expenses", "statement", "report", "summary",
    "compare", "average", "daily", "monthly", "weekly", "yearly", "much", "many", "time", "times",
    "baar", "ago", "bhejiye", "karein", "kijiye", "dedo", "chukana", "bharna", "ज्यादा", "कम",
    "ऊपर", "नीचे", "बीच", "भुगतान", "बिल", "new", "old", "city", "san", "los", "las", "saint",
    "fort", "port", "north", "south", "east", "west", "central", "phone", "mobile", "online",
    "offline", "mall", "market", "debit", "credit", "autopay",
];

/// Phrases containing a category word that are not about that category
/// ("auto debit" is no rickshaw ride).
pub(crate) const NOT_CATEGORY: &[&[&str]] = &[
    &["auto", "debit"],
    &["auto", "debits"],
    &["auto", "pay"],
    &["auto", "-", "pay"],
    &["auto", "-", "debit"],
    &["autopay"],
    &["bill", "pay"],
    &["cash", "back"],
    &["cashback"],
    &["ऑटो", "डेबिट"],
];

/// Spending categories by the words customers use, longest phrases first
/// where they overlap. "gas" is decided by the customer's currency (fuel in
/// the US, the cooking-gas bill in India) and is handled in code.
pub(crate) const CATEGORY_WORDS: &[(&str, Category)] = &[
    // food
    ("eating out", Category::Food),
    ("eat out", Category::Food),
    ("dining out", Category::Food),
    ("food delivery", Category::Food),
    ("bahar khana", Category::Food),
    ("food", Category::Food),
    ("restaurant", Category::Food),
    ("restaurants", Category::Food),
    ("dining", Category::Food),
    ("takeaway", Category::Food),
    ("takeout", Category::Food),
    ("lunch", Category::Food),
    ("dinner", Category::Food),
    ("breakfast", Category::Food),
    ("cafe", Category::Food),
    ("coffee", Category::Food),
    ("khana", Category::Food),
    ("khaana", Category::Food),
    ("khane", Category::Food),
    ("khaane", Category::Food),
    ("खाना", Category::Food),
    ("खाने", Category::Food),
    ("भोजन", Category::Food),
    ("रेस्टोरेंट", Category::Food),
    ("रेस्तरां", Category::Food),
    // groceries
    ("groceries", Category::Groceries),
    ("grocery", Category::Groceries),
    ("supermarket", Category::Groceries),
    ("vegetables", Category::Groceries),
    ("kirana", Category::Groceries),
    ("kiraana", Category::Groceries),
    ("ration", Category::Groceries),
    ("raashan", Category::Groceries),
    ("rashan", Category::Groceries),
    ("sabzi", Category::Groceries),
    ("sabji", Category::Groceries),
    ("sabziyan", Category::Groceries),
    ("किराना", Category::Groceries),
    ("राशन", Category::Groceries),
    ("सब्जी", Category::Groceries),
    ("सब्जियां", Category::Groceries),
    ("किराने", Category::Groceries),
    // travel
    ("travel", Category::Travel),
    ("travelling", Category::Travel),
    ("traveling", Category::Travel),
    ("trip", Category::Travel),
    ("trips", Category::Travel),
    ("flight", Category::Travel),
    ("flights", Category::Travel),
    ("hotel", Category::Travel),
    ("hotels", Category::Travel),
    ("holiday", Category::Travel),
    ("vacation", Category::Travel),
    ("train tickets", Category::Travel),
    ("safar", Category::Travel),
    ("yatra", Category::Travel),
    ("yaatra", Category::Travel),
    ("यात्रा", Category::Travel),
    ("सफर", Category::Travel),
    ("घूमना", Category::Travel),
    // transport
    ("transport", Category::Transport),
    ("commute", Category::Transport),
    ("cab", Category::Transport),
    ("cabs", Category::Transport),
    ("taxi", Category::Transport),
    ("taxis", Category::Transport),
    ("auto", Category::Transport),
    ("rickshaw", Category::Transport),
    ("autorickshaw", Category::Transport),
    ("metro", Category::Transport),
    ("bus", Category::Transport),
    ("parking", Category::Transport),
    ("toll", Category::Transport),
    ("टैक्सी", Category::Transport),
    ("ऑटो", Category::Transport),
    ("मेट्रो", Category::Transport),
    ("बस", Category::Transport),
    ("कैब", Category::Transport),
    // fuel
    ("fuel", Category::Fuel),
    ("petrol", Category::Fuel),
    ("diesel", Category::Fuel),
    ("gas station", Category::Fuel),
    ("cng", Category::Fuel),
    ("पेट्रोल", Category::Fuel),
    ("डीजल", Category::Fuel),
    ("ईंधन", Category::Fuel),
    // shopping
    ("shopping", Category::Shopping),
    ("shoping", Category::Shopping),
    ("clothes", Category::Shopping),
    ("clothing", Category::Shopping),
    ("electronics", Category::Shopping),
    ("kharidari", Category::Shopping),
    ("kharidaari", Category::Shopping),
    ("khareedari", Category::Shopping),
    ("kapde", Category::Shopping),
    ("खरीदारी", Category::Shopping),
    ("खरीददारी", Category::Shopping),
    ("शॉपिंग", Category::Shopping),
    ("कपडे", Category::Shopping),
    // entertainment
    ("entertainment", Category::Entertainment),
    ("movie", Category::Entertainment),
    ("movies", Category::Entertainment),
    ("films", Category::Entertainment),
    ("film", Category::Entertainment),
    ("cinema", Category::Entertainment),
    ("concert", Category::Entertainment),
    ("concerts", Category::Entertainment),
    ("gaming", Category::Entertainment),
    ("manoranjan", Category::Entertainment),
    ("मनोरंजन", Category::Entertainment),
    ("फिल्म", Category::Entertainment),
    ("फिल्में", Category::Entertainment),
    ("सिनेमा", Category::Entertainment),
    // health
    ("health", Category::Health),
    ("healthcare", Category::Health),
    ("medicine", Category::Health),
    ("medicines", Category::Health),
    ("medical", Category::Health),
    ("pharmacy", Category::Health),
    ("chemist", Category::Health),
    ("doctor", Category::Health),
    ("hospital", Category::Health),
    ("dawai", Category::Health),
    ("dawa", Category::Health),
    ("dawaai", Category::Health),
    ("davai", Category::Health),
    ("ilaj", Category::Health),
    ("दवा", Category::Health),
    ("दवाई", Category::Health),
    ("दवाइयां", Category::Health),
    ("अस्पताल", Category::Health),
    ("डॉक्टर", Category::Health),
    ("इलाज", Category::Health),
    // utilities
    ("utilities", Category::Utilities),
    ("utility", Category::Utilities),
    ("bills", Category::Utilities),
    ("bill", Category::Utilities),
    ("electricity", Category::Utilities),
    ("power bill", Category::Utilities),
    ("water bill", Category::Utilities),
    ("gas bill", Category::Utilities),
    ("phone bill", Category::Utilities),
    ("internet", Category::Utilities),
    ("broadband", Category::Utilities),
    ("recharge", Category::Utilities),
    ("lpg", Category::Utilities),
    ("cylinder", Category::Utilities),
    ("bijli", Category::Utilities),
    ("bijlee", Category::Utilities),
    ("बिजली", Category::Utilities),
    ("बिल", Category::Utilities),
    ("रिचार्ज", Category::Utilities),
    // education
    ("education", Category::Education),
    ("school", Category::Education),
    ("school fees", Category::Education),
    ("college", Category::Education),
    ("tuition", Category::Education),
    ("course", Category::Education),
    ("courses", Category::Education),
    ("padhai", Category::Education),
    ("shiksha", Category::Education),
    ("शिक्षा", Category::Education),
    ("पढाई", Category::Education),
    ("स्कूल", Category::Education),
    ("फीस", Category::Education),
    // subscriptions
    ("subscription", Category::Subscriptions),
    ("subscriptions", Category::Subscriptions),
    ("subs", Category::Subscriptions),
    ("membership", Category::Subscriptions),
    ("memberships", Category::Subscriptions),
    ("streaming", Category::Subscriptions),
    ("ott", Category::Subscriptions),
    ("सब्सक्रिप्शन", Category::Subscriptions),
    ("सदस्यता", Category::Subscriptions),
    // rent
    ("rent", Category::Rent),
    ("house rent", Category::Rent),
    ("kiraya", Category::Rent),
    ("kiraaya", Category::Rent),
    ("किराया", Category::Rent),
    ("किराए", Category::Rent),
    ("किराये", Category::Rent),
    // income
    ("income", Category::Income),
    ("salary", Category::Income),
    ("earnings", Category::Income),
    ("tankhwah", Category::Income),
    ("tankhwa", Category::Income),
    ("kamai", Category::Income),
    ("आय", Category::Income),
    ("वेतन", Category::Income),
    ("तनख्वाह", Category::Income),
    ("कमाई", Category::Income),
    ("सैलरी", Category::Income),
    // transfers
    ("transfers", Category::Transfers),
    ("bank transfers", Category::Transfers),
    // cash
    ("cash", Category::Cash),
    ("atm", Category::Cash),
    ("withdrawal", Category::Cash),
    ("withdrawals", Category::Cash),
    ("nakad", Category::Cash),
    ("nakdi", Category::Cash),
    ("नकद", Category::Cash),
    ("नकदी", Category::Cash),
    ("कैश", Category::Cash),
    ("एटीएम", Category::Cash),
];

/// Month names and abbreviations; the flag says whether the word can stand
/// alone as a month. "may", "mar", "jan" and the other abbreviations are
/// months only next to a day, a year or a preposition ("in may", "may 2025",
/// "may mein") — "may I see…" is not about May.
pub(crate) fn month(word: &str) -> Option<(i8, bool)> {
    Some(match word {
        "january" | "जनवरी" => (1, true),
        "february" | "फरवरी" => (2, true),
        "march" | "मार्च" => (3, true),
        "april" | "अप्रैल" | "अप्रेल" => (4, true),
        "june" | "जून" => (6, true),
        "july" | "जुलाई" => (7, true),
        "august" | "अगस्त" => (8, true),
        "september" | "सितंबर" | "सितम्बर" => (9, true),
        "october" | "अक्टूबर" | "अक्तूबर" => (10, true),
        "november" | "नवंबर" | "नवम्बर" => (11, true),
        "december" | "दिसंबर" | "दिसम्बर" => (12, true),
        "मई" => (5, true),
        "may" => (5, false),
        "jan" => (1, false),
        "feb" => (2, false),
        "mar" => (3, false),
        "apr" => (4, false),
        "jun" => (6, false),
        "jul" => (7, false),
        "aug" => (8, false),
        "sep" | "sept" => (9, false),
        "oct" => (10, false),
        "nov" => (11, false),
        "dec" => (12, false),
        _ => return None,
    })
}

pub(crate) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Weekday names, Monday = 0.
pub(crate) fn weekday(word: &str) -> Option<i8> {
    Some(match word {
        "monday" | "somvar" | "somwar" | "सोमवार" => 0,
        "tuesday" | "mangalvar" | "mangalwar" | "मंगलवार" => 1,
        "wednesday" | "budhvar" | "budhwar" | "बुधवार" => 2,
        "thursday" | "guruvar" | "guruwar" | "brihaspativar" | "गुरुवार" | "बृहस्पतिवार" => {
            3
        }
        "friday" | "shukravar" | "shukrawar" | "शुक्रवार" => 4,
        "saturday" | "shanivar" | "shaniwar" | "शनिवार" => 5,
        "sunday" | "ravivar" | "raviwar" | "itvar" | "itwar" | "रविवार" | "इतवार" => {
            6
        }
        _ => return None,
    })
}

pub(crate) const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A unit of calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
            Unit::Year => "year",
        }
    }
}

pub(crate) fn unit(word: &str) -> Option<Unit> {
    Some(match word {
        "day" | "days" | "din" | "dino" | "dinon" | "दिन" | "दिनों" => Unit::Day,
        "week"
        | "weeks"
        | "wk"
        | "wks"
        | "hafta"
        | "hafte"
        | "hafton"
        | "haftey"
        | "hapta"
        | "hapte"
        | "हफ्ता"
        | "हफ्ते"
        | "हफ्तों"
        | "सप्ताह"
        | "सप्ताहों" => Unit::Week,
        "month" | "months" | "mahina" | "mahine" | "mahino" | "mahinon" | "mahiney" | "mahinay"
        | "maheena" | "maheene" | "महीना" | "महीने" | "महीनों" | "माह" => {
            Unit::Month
        }
        "year" | "years" | "yr" | "yrs" | "saal" | "sal" | "saalon" | "varsh" | "baras" | "साल"
        | "सालों" | "वर्ष" | "वर्षों" | "बरस" => Unit::Year,
        _ => return None,
    })
}

/// "last", "पिछले", "pichle"…
#[rustfmt::skip]
pub(crate) const LAST: &[&str] = &[
    "last", "past", "previous", "prev", "pichle", "pichhle", "pichhale", "pichale", "pichla",
    "pichhla", "pichli", "pichhli", "picchle", "पिछले", "पिछला", "पिछली", "गत", "बीते", "beete",
];
/// "this", "इस", "is"…
pub(crate) const THIS: &[&str] = &[
    "this", "current", "is", "iss", "es", "ye", "yeh", "yah", "इस", "यह", "ये",
];
/// "next", "अगले", "agle"…
#[rustfmt::skip]
pub(crate) const NEXT: &[&str] = &[
    "next", "coming", "upcoming", "agle", "agla", "agli", "अगले", "अगला", "अगली",
];

/// Number words, for counts, periods ("पिछले तीन महीने") and amounts
/// followed by a scale or currency ("paanch sau", "five dollars").
pub(crate) fn number_word(word: &str) -> Option<u32> {
    Some(match word {
        "one" | "ek" | "एक" => 1,
        "two" | "do" | "दो" => 2,
        "three" | "teen" | "tin" | "तीन" => 3,
        "four" | "char" | "chaar" | "चार" => 4,
        "five" | "paanch" | "panch" | "paach" | "पांच" => 5,
        "six" | "chhe" | "chhah" | "chah" | "che" | "छह" | "छः" | "छे" => 6,
        "seven" | "saat" | "सात" => 7,
        "eight" | "aath" | "आठ" => 8,
        "nine" | "nau" | "नौ" => 9,
        "ten" | "das" | "दस" => 10,
        "eleven" | "gyarah" | "ग्यारह" => 11,
        "twelve" | "barah" | "baarah" | "बारह" => 12,
        "fifteen" | "pandrah" | "पंद्रह" | "पन्द्रह" => 15,
        "twenty" | "bees" | "बीस" => 20,
        "thirty" | "tees" | "तीस" => 30,
        "fifty" | "pachas" | "pachaas" | "पचास" => 50,
        _ => return None,
    })
}

/// A multiplier word after a number. The flag says the word is a scale only
/// when glued to the digits ("5l", "2m"), as a lone "l" or "m" means other
/// things.
pub(crate) fn scale(word: &str) -> Option<(i128, bool)> {
    Some(match word {
        "hundred" | "sau" | "सौ" => (100, false),
        "k" | "thousand" | "thousands" | "hazaar" | "hazar" | "hajar" | "hajaar" | "hazzar"
        | "tausand" | "हजार" => (1_000, false),
        "lakh" | "lakhs" | "lac" | "lacs" | "laakh" | "लाख" => (100_000, false),
        "crore" | "crores" | "cr" | "karod" | "karor" | "करोड" | "करोडों" => {
            (10_000_000, false)
        }
        "million" | "millions" | "mn" => (1_000_000, false),
        "billion" | "billions" | "bn" => (1_000_000_000, false),
        "l" => (100_000, true),
        "m" => (1_000_000, true),
        _ => return None,
    })
}

/// A currency named by a symbol or word.
pub(crate) fn currency_word(word: &str) -> Option<Currency> {
    Some(match word {
        "₹" | "rs" | "inr" | "rupees" | "rupee" | "rupaye" | "rupaiye" | "rupay" | "rupye"
        | "rupya" | "rupaya" | "rupiya" | "rupiye" | "re" | "रुपये" | "रुपए" | "रुपया" | "रूपये"
        | "रुपयों" | "रु" | "रू" => Currency::INR,
        "$" | "usd" | "dollars" | "dollar" | "bucks" | "डॉलर" | "डालर" => {
            Currency::USD
        }
        "€" | "eur" | "euro" | "euros" => Currency::EUR,
        "£" | "gbp" | "pounds" => Currency::GBP,
        "aed" | "dirham" | "dirhams" => Currency::AED,
        _ => return None,
    })
}

/// Currency words that may come before the number ("₹500", "Rs 500",
/// "USD 20"); words like "rupees" only follow it.
pub(crate) fn currency_prefix(word: &str) -> Option<Currency> {
    match word {
        "₹" | "rs" | "inr" | "रु" | "रू" | "$" | "usd" | "€" | "eur" | "£" | "gbp" | "aed" => {
            currency_word(word)
        }
        _ => None,
    }
}

/// Fraction words, in quarters: डेढ़ 1½ and ढाई 2½ multiply the scale
/// that follows; सवा adds ¼, साढ़े adds ½ and पौने takes away ¼ from the
/// number that follows (or from one when a scale follows directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fraction {
    /// A whole value in quarters: डेढ़ = 6, ढाई = 10.
    Whole(i128),
    /// Added to the next number, in quarters: सवा = +1, साढ़े = +2, पौने = -1.
    Plus(i128),
}

pub(crate) fn fraction(word: &str) -> Option<Fraction> {
    Some(match word {
        "dedh" | "derh" | "dedhh" | "डेढ" => Fraction::Whole(6),
        "dhai" | "dhaai" | "adhai" | "adhaai" | "ढाई" | "अढाई" => Fraction::Whole(10),
        "sava" | "sawa" | "savaa" | "sawaa" | "सवा" => Fraction::Plus(1),
        "sadhe" | "saadhe" | "sarhe" | "saade" | "sade" | "saare" | "साढे" => {
            Fraction::Plus(2)
        }
        "paune" | "pone" | "paun" | "पौने" => Fraction::Plus(-1),
        _ => return None,
    })
}

/// Nouns for transactions, which make a number a count ("5 transactions").
#[rustfmt::skip]
pub(crate) const COUNT_NOUNS: &[&str] = &[
    "transactions", "transaction", "txns", "txn", "txs", "trxn", "trxns", "payments", "purchases",
    "entries", "orders", "debits", "credits", "spends", "expenses", "lenden", "len", "लेनदेन",
    "लेन", "ट्रांजैक्शन", "ट्रांजेक्शन", "ट्रांजैक्शंस", "ट्रांजेक्शंस", "भुगतान", "खर्चे", "entry",
];

/// A transaction noun at `i` ("transactions", "लेन-देन", "len den"); returns its end.
pub(crate) fn count_noun_at(s: &Sent, i: usize) -> Option<usize> {
    if let Some(end) = s.phrase(
        i,
        &[
            &["लेन", "-", "देन"],
            &["लेन", "देन"],
            &["len", "-", "den"],
            &["len", "den"],
        ],
    ) {
        return Some(end);
    }
    let w = s.text(i)?;
    (w != "len" && w != "लेन" && COUNT_NOUNS.contains(&w)).then_some(i + 1)
}

/// Common brand names written in Devanagari, to their Latin spelling
/// (the nukta is already folded: ज़ोमैटो is जोमैटो here).
pub(crate) fn brand(word: &str) -> Option<&'static str> {
    Some(match word {
        "अमेजन" | "अमेजॉन" | "एमेजॉन" | "एमेजन" | "अमाजन" => {
            "amazon"
        }
        "स्विगी" | "स्वीगी" => "swiggy",
        "जोमैटो" | "जोमाटो" | "जोमेटो" => "zomato",
        "फ्लिपकार्ट" => "flipkart",
        "उबर" | "ऊबर" => "uber",
        "ओला" => "ola",
        "पेटीएम" => "paytm",
        "फोनपे" => "phonepe",
        "बिग" => "big",
        "बाजार" => "bazaar",
        "बास्केट" => "basket",
        "बिगबास्केट" => "bigbasket",
        "डीमार्ट" => "dmart",
        "रिलायंस" => "reliance",
        "नेटफ्लिक्स" => "netflix",
        "मिंत्रा" => "myntra",
        "ब्लिंकिट" => "blinkit",
        "जेप्टो" => "zepto",
        "स्टारबक्स" => "starbucks",
        "डोमिनोज" | "डॉमिनोज" => "dominos",
        "मैकडॉनल्ड्स" | "मैकडोनाल्ड्स" => "mcdonalds",
        "आईआरसीटीसी" => "irctc",
        "एयरटेल" => "airtel",
        "जियो" => "jio",
        "नायका" => "nykaa",
        "रैपिडो" => "rapido",
        "इंडिगो" => "indigo",
        "मेकमायट्रिप" => "makemytrip",
        "जारा" => "zara",
        "स्पॉटिफाई" => "spotify",
        "हॉटस्टार" => "hotstar",
        _ => return None,
    })
}

/// Other names of cities. A customer saying any name in a group means the
/// spelling the bank knows (`Context::places`) from the same group.
pub(crate) const PLACE_ALIASES: &[&[&str]] = &[
    &["mumbai", "bombay", "bambai", "मुंबई", "मुम्बई", "बंबई", "बम्बई"],
    &[
        "bengaluru",
        "bangalore",
        "bengalooru",
        "banglore",
        "blr",
        "बेंगलुरु",
        "बेंगलूरु",
        "बेंगलुरू",
        "बैंगलोर",
        "बंगलौर",
        "बेंगलोर",
    ],
    &["delhi", "newdelhi", "dilli", "दिल्ली", "नईदिल्ली"],
    &["kolkata", "calcutta", "कोलकाता", "कलकत्ता"],
    &["chennai", "madras", "चेन्नई", "मद्रास"],
    &["hyderabad", "hyd", "हैदराबाद"],
    &["pune", "poona", "पुणे", "पूना"],
    &["gurugram", "gurgaon", "गुरुग्राम", "गुडगांव"],
    &["ahmedabad", "amdavad", "अहमदाबाद"],
    &["jaipur", "जयपुर"],
    &["lucknow", "लखनऊ"],
    &["kochi", "cochin", "कोच्चि"],
    &["thiruvananthapuram", "trivandrum", "तिरुवनंतपुरम"],
    &["varanasi", "banaras", "benares", "वाराणसी", "बनारस"],
    &["prayagraj", "allahabad", "प्रयागराज", "इलाहाबाद"],
    &["vadodara", "baroda", "वडोदरा"],
    &["mysuru", "mysore", "मैसूर"],
    &["noida", "नोएडा"],
    &["chandigarh", "चंडीगढ"],
    &["goa", "गोवा"],
    &["patna", "पटना"],
    &["indore", "इंदौर"],
    &["bhopal", "भोपाल"],
    &["surat", "सूरत"],
    &["nagpur", "नागपुर"],
    &["newyork", "nyc", "newyorkcity", "न्यूयॉर्क", "न्यूयार्क"],
    &["sanfrancisco", "sf", "सैनफ्रांसिस्को"],
    &["losangeles", "लॉसएंजिल्स"],
    &["lasvegas", "vegas"],
    &["washington", "washingtondc", "वॉशिंगटन"],
    &["london", "लंदन"],
    &["dubai", "दुबई"],
    &["singapore", "सिंगापुर"],
];

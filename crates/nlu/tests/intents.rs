//! Per-intent tests of the product's model, in English, Hindi and Hinglish,
//! on sentences written for this test (none is in the training corpus; a
//! test below checks that).
//!
//! The model is trained once for this binary on the shipped corpus.

use anumati_nlu::corpus;

/// (intent, English, Hindi, Hinglish)
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "balance",
        "how much cash is sitting in my savings account right now",
        "मेरे बचत खाते में अभी कितने पैसे पड़े हैं",
        "savings account me abhi kitna paisa pada hai",
    ),
    (
        "transactions",
        "list every payment I made at Uber in October",
        "अक्टूबर में Uber पर किए सारे भुगतान दिखाइए",
        "october me uber wale saare payments dikhao",
    ),
    (
        "spend_summary",
        "what did I spend on groceries over the past three months",
        "पिछले तीन महीनों में किराने पर कुल कितना खर्च हुआ",
        "pichle teen mahino me grocery pe total kitna kharcha hua",
    ),
    (
        "where_shopped",
        "which shops did I buy things from last weekend",
        "पिछले वीकेंड मैंने किन दुकानों से खरीदारी की",
        "last weekend maine kin dukano se shopping ki",
    ),
    (
        "compare_periods",
        "am I spending more in November than I did in October",
        "क्या नवंबर में मेरा खर्च अक्टूबर से ज़्यादा है",
        "kya november ka kharcha october se zyada hai",
    ),
    (
        "recurring_payments",
        "which subscriptions keep charging me every month",
        "हर महीने कौन से सब्सक्रिप्शन पैसे काटते हैं",
        "har mahine kaun kaun se subscription paise kaat rahe hain",
    ),
    (
        "income",
        "how much money came into my account in September",
        "सितंबर में मेरे खाते में कितना पैसा आया",
        "september me mere account me kitna paisa aaya",
    ),
    (
        "largest_purchases",
        "what were the three most expensive things I bought this year",
        "इस साल की मेरी तीन सबसे महंगी खरीदारी कौन सी थीं",
        "is saal ki meri teen sabse mehngi kharidari kaun si thi",
    ),
    (
        "card_lock",
        "please freeze my debit card right away",
        "मेरा डेबिट कार्ड तुरंत ब्लॉक कर दीजिए",
        "mera debit card turant block kar do",
    ),
    (
        "card_unlock",
        "I found my card, switch it back on please",
        "मुझे कार्ड मिल गया, उसे फिर से चालू कर दो",
        "card mil gaya, usko wapas chalu kar do",
    ),
    (
        "report_fraud",
        "I need to report a fraudulent debit on my account that I never authorised",
        "मेरे कार्ड से एक भुगतान हुआ जो मैंने नहीं किया, किसी और ने इस्तेमाल किया",
        "mere card se payment hua jo maine nahi kiya, kisi aur ne use kiya",
    ),
    (
        "pay",
        "transfer 750 rupees to Anil for the dinner",
        "अनिल को डिनर के 750 रुपये भेज दो",
        "anil ko dinner ke 750 rupaye bhej do",
    ),
    (
        "greeting",
        "hey there, good evening to you",
        "सुप्रभात, आशा है आप ठीक हैं",
        "hello bhai, kaise ho aap",
    ),
    (
        "thanks",
        "thanks a ton, that helped",
        "बहुत बहुत धन्यवाद, मदद मिल गई",
        "bahut shukriya, kaam ho gaya",
    ),
    (
        "help",
        "what sort of things can you do for me",
        "आप मेरे लिए क्या क्या कर सकते हैं",
        "tum kya kya kar sakte ho mere liye",
    ),
    (
        "link_bank",
        "I want to connect my bank account to this chat",
        "मैं अपना बैंक खाता इस चैट से जोड़ना चाहता हूँ",
        "mujhe apna bank account is chat se jodna hai",
    ),
    (
        "consent_status",
        "which apps are allowed to see my bank data",
        "किन ऐप्स को मेरा बैंक डेटा देखने की अनुमति है",
        "kin apps ko mera bank data dekhne ki permission hai",
    ),
    (
        "access_log",
        "show me who looked at my data this month",
        "इस महीने मेरा डेटा किस किसने देखा",
        "is mahine mera data kis kis ne dekha",
    ),
    (
        "consent_revoke",
        "withdraw the permission I gave this app, for good",
        "इस ऐप को दी गई अनुमति हमेशा के लिए वापस लो",
        "is app ki permission hamesha ke liye wapas le lo",
    ),
    (
        "consent_pause",
        "stop sharing my data for a few days",
        "कुछ दिनों के लिए मेरा डेटा साझा करना रोक दो",
        "kuch din ke liye data share karna rok do",
    ),
    (
        "consent_resume",
        "please turn my data sharing back on now",
        "डेटा साझा करना दोबारा चालू कर दीजिए",
        "data sharing dobara shuru karo",
    ),
    (
        "export_data",
        "send me a copy of all the data you keep about me",
        "आपके पास मेरा जो डेटा है उसकी एक कॉपी दो",
        "mere baare me jo data rakha hai uski copy do",
    ),
    (
        "delete_data",
        "wipe everything you have stored about me",
        "मेरे बारे में रखा सारा डेटा मिटा दो",
        "mere baare me saara data mita do",
    ),
    (
        "human_agent",
        "can I speak to a real person please",
        "क्या मैं किसी असली इंसान से बात कर सकता हूँ",
        "kisi insaan se baat karwa do",
    ),
    (
        "affirm",
        "yes, go ahead",
        "हाँ, आगे बढ़ो",
        "haan bilkul, kar dijiye",
    ),
    (
        "deny",
        "no, that is not what I meant",
        "नहीं, मेरा मतलब यह नहीं था",
        "nahi, mera matlab ye nahi tha",
    ),
    (
        "cancel",
        "forget it, cancel that",
        "छोड़ो, इसे रद्द करो",
        "chhodo, cancel kar do",
    ),
    (
        "fallback",
        "who won the cricket match yesterday",
        "कल का क्रिकेट मैच किसने जीता",
        "kal ka cricket match kaun jeeta",
    ),
];

/// Banking77 intents, in English (the corpus has them in English only).
const SERVICE: &[(&str, &str)] = &[
    (
        "card_arrival",
        "it has been ten days and my new card is still not in the post",
    ),
    (
        "lost_or_stolen_card",
        "I think I left my card in a taxi and it is gone",
    ),
    (
        "exchange_rate",
        "what rate do you use to convert pounds to euros",
    ),
    ("change_pin", "how can I set a different PIN on my card"),
    (
        "transfer_timing",
        "how many working days does a transfer take to go through",
    ),
];

#[test]
fn no_test_sentence_is_in_the_training_corpus() {
    let trained: std::collections::HashSet<String> = corpus::all()
        .into_iter()
        .map(|e| anumati_nlu::text::normalise(&e.text))
        .collect();
    for (_, en, hi, hinglish) in CASES {
        for text in [en, hi, hinglish] {
            assert!(
                !trained.contains(&anumati_nlu::text::normalise(text)),
                "{text}"
            );
        }
    }
    for (_, text) in SERVICE {
        assert!(
            !trained.contains(&anumati_nlu::text::normalise(text)),
            "{text}"
        );
    }
}

#[test]
fn every_intent_in_three_languages() {
    let model = corpus::shared();
    let mut wrong = Vec::new();
    for (intent, en, hi, hinglish) in CASES {
        for (language, text) in [("en", en), ("hi", hi), ("hinglish", hinglish)] {
            let p = model.predict(text);
            if p.label != *intent {
                wrong.push(format!(
                    "{language} {text:?}: expected {intent}, got {} ({:.2})",
                    p.label, p.probability
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} misclassified:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn customer_service_intents() {
    let model = corpus::shared();
    for (intent, text) in SERVICE {
        let p = model.predict(text);
        assert_eq!(p.label, *intent, "{text}: {:?}", p.top);
    }
}

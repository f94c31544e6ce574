//! The simulator's fixed world: time zones, cities, names, employers and the
//! merchant catalogue (chain brands per country, apps, web shops, billers and
//! local independents).
//!
//! The catalogue does not depend on the seed: it is built once from the tables
//! below, in table order, so merchant ids are stable from run to run.

use std::sync::LazyLock;

use anumati_domain::Category;

/// A time zone the simulator uses, with a POSIX rule to fall back on when the
/// system has no time zone database (the rules match the zones' current ones).
pub(super) struct Zone {
    pub name: &'static str,
    pub posix: &'static str,
}

pub(super) const ZONES: &[Zone] = &[
    Zone {
        name: "Asia/Kolkata",
        posix: "IST-5:30",
    },
    Zone {
        name: "America/New_York",
        posix: "EST5EDT,M3.2.0,M11.1.0",
    },
    Zone {
        name: "America/Chicago",
        posix: "CST6CDT,M3.2.0,M11.1.0",
    },
    Zone {
        name: "America/Denver",
        posix: "MST7MDT,M3.2.0,M11.1.0",
    },
    Zone {
        name: "America/Los_Angeles",
        posix: "PST8PDT,M3.2.0,M11.1.0",
    },
    Zone {
        name: "Asia/Dubai",
        posix: "<+04>-4",
    },
    Zone {
        name: "Europe/London",
        posix: "GMT0BST,M3.5.0/1,M10.5.0",
    },
    Zone {
        name: "Asia/Singapore",
        posix: "<+08>-8",
    },
    Zone {
        name: "Asia/Bangkok",
        posix: "<+07>-7",
    },
    Zone {
        name: "Europe/Paris",
        posix: "CET-1CEST,M3.5.0,M10.5.0/3",
    },
    Zone {
        name: "Asia/Tokyo",
        posix: "JST-9",
    },
    Zone {
        name: "America/Cancun",
        posix: "EST5",
    },
    Zone {
        name: "America/Toronto",
        posix: "EST5EDT,M3.2.0,M11.1.0",
    },
];

const KOLKATA: u8 = 0;
const NEW_YORK: u8 = 1;
const CHICAGO: u8 = 2;
const DENVER: u8 = 3;
const LOS_ANGELES: u8 = 4;

/// Countries the simulator knows: customers live in the first two.
pub(super) const COUNTRIES: &[&str] = &["IN", "US", "AE", "GB", "SG", "TH", "FR", "JP", "MX", "CA"];
pub(super) const IN: u8 = 0;
pub(super) const US: u8 = 1;

/// Where Indian surnames come from, to match names to cities a little.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Region {
    North,
    West,
    South,
    East,
    Elsewhere,
}

pub(super) struct City {
    pub name: &'static str,
    pub country: u8,
    pub zone: u8,
    /// Weight as a home city (0: nobody lives here in the simulation).
    pub home: u32,
    /// Weight as a domestic travel destination.
    pub visit: u32,
    pub region: Region,
}

const fn city(
    name: &'static str,
    country: u8,
    zone: u8,
    home: u32,
    visit: u32,
    region: Region,
) -> City {
    City {
        name,
        country,
        zone,
        home,
        visit,
        region,
    }
}

use Region::{East, Elsewhere, North, South, West};

pub(super) const CITIES: &[City] = &[
    city("Mumbai", IN, KOLKATA, 18, 10, West),
    city("Delhi", IN, KOLKATA, 18, 10, North),
    city("Bengaluru", IN, KOLKATA, 16, 8, South),
    city("Hyderabad", IN, KOLKATA, 10, 5, South),
    city("Chennai", IN, KOLKATA, 9, 5, South),
    city("Kolkata", IN, KOLKATA, 8, 5, East),
    city("Pune", IN, KOLKATA, 7, 3, West),
    city("Ahmedabad", IN, KOLKATA, 6, 2, West),
    city("Jaipur", IN, KOLKATA, 4, 8, North),
    city("Lucknow", IN, KOLKATA, 3, 2, North),
    city("Kochi", IN, KOLKATA, 3, 5, South),
    city("Chandigarh", IN, KOLKATA, 2, 2, North),
    city("Goa", IN, KOLKATA, 0, 12, West),
    city("New York", US, NEW_YORK, 20, 12, Elsewhere),
    city("Boston", US, NEW_YORK, 5, 4, Elsewhere),
    city("Philadelphia", US, NEW_YORK, 5, 2, Elsewhere),
    city("Atlanta", US, NEW_YORK, 5, 2, Elsewhere),
    city("Miami", US, NEW_YORK, 5, 8, Elsewhere),
    city("Chicago", US, CHICAGO, 10, 6, Elsewhere),
    city("Houston", US, CHICAGO, 8, 2, Elsewhere),
    city("Dallas", US, CHICAGO, 7, 2, Elsewhere),
    city("Austin", US, CHICAGO, 4, 3, Elsewhere),
    city("Denver", US, DENVER, 4, 4, Elsewhere),
    city("Salt Lake City", US, DENVER, 2, 1, Elsewhere),
    city("Los Angeles", US, LOS_ANGELES, 13, 8, Elsewhere),
    city("San Francisco", US, LOS_ANGELES, 7, 7, Elsewhere),
    city("Seattle", US, LOS_ANGELES, 6, 4, Elsewhere),
    city("San Diego", US, LOS_ANGELES, 4, 4, Elsewhere),
    city("Las Vegas", US, LOS_ANGELES, 0, 12, Elsewhere),
    city("Orlando", US, NEW_YORK, 0, 10, Elsewhere),
    city("Dubai", 2, 5, 0, 0, Elsewhere),
    city("London", 3, 6, 0, 0, Elsewhere),
    city("Singapore", 4, 7, 0, 0, Elsewhere),
    city("Bangkok", 5, 8, 0, 0, Elsewhere),
    city("Paris", 6, 9, 0, 0, Elsewhere),
    city("Tokyo", 7, 10, 0, 0, Elsewhere),
    city("Cancun", 8, 11, 0, 0, Elsewhere),
    city("Toronto", 9, 12, 0, 0, Elsewhere),
];

/// Trips abroad from India and from the US: destination and weight.
pub(super) const ABROAD_FROM_IN: &[(&str, u32)] = &[
    ("Dubai", 30),
    ("Singapore", 20),
    ("Bangkok", 18),
    ("London", 12),
    ("Paris", 6),
    ("New York", 6),
    ("Toronto", 5),
    ("Tokyo", 3),
];
pub(super) const ABROAD_FROM_US: &[(&str, u32)] = &[
    ("Cancun", 28),
    ("London", 18),
    ("Toronto", 14),
    ("Paris", 14),
    ("Tokyo", 10),
    ("Mumbai", 4),
    ("Dubai", 4),
    ("Delhi", 3),
    ("Bangkok", 3),
    ("Singapore", 2),
];

pub(super) const IN_FIRST: &[&str] = &[
    "Aarav",
    "Aditi",
    "Aditya",
    "Akash",
    "Aman",
    "Amit",
    "Ananya",
    "Anil",
    "Anitha",
    "Anjali",
    "Ankit",
    "Arjun",
    "Arnab",
    "Aruna",
    "Arvind",
    "Ayesha",
    "Deepa",
    "Deepak",
    "Divya",
    "Farhan",
    "Fatima",
    "Gaurav",
    "Geeta",
    "Girish",
    "Gurpreet",
    "Harish",
    "Harpreet",
    "Hetal",
    "Imran",
    "Isha",
    "Ishaan",
    "Ishita",
    "Jaya",
    "Jignesh",
    "Joseph",
    "Karan",
    "Karthik",
    "Kavita",
    "Ketan",
    "Kiran",
    "Kriti",
    "Kunal",
    "Lakshmi",
    "Lavanya",
    "Madhuri",
    "Manish",
    "Manpreet",
    "Mary",
    "Meera",
    "Mohan",
    "Mohit",
    "Moumita",
    "Naveen",
    "Neel",
    "Neha",
    "Nikhil",
    "Nisha",
    "Omkar",
    "Parth",
    "Pooja",
    "Prakash",
    "Pranav",
    "Priya",
    "Rahul",
    "Rajesh",
    "Rakesh",
    "Ramesh",
    "Ravi",
    "Rekha",
    "Riya",
    "Rohan",
    "Rupali",
    "Sachin",
    "Sakshi",
    "Sanjay",
    "Sara",
    "Sayali",
    "Shilpa",
    "Shreya",
    "Siddharth",
    "Simran",
    "Sneha",
    "Sourav",
    "Srinivas",
    "Suman",
    "Sunil",
    "Sunita",
    "Suresh",
    "Swati",
    "Tanvi",
    "Tanya",
    "Thomas",
    "Varun",
    "Venkat",
    "Vidya",
    "Vikram",
    "Vivek",
    "Yash",
    "Zoya",
];

pub(super) const IN_LAST_NORTH: &[&str] = &[
    "Sharma",
    "Verma",
    "Gupta",
    "Singh",
    "Kumar",
    "Agarwal",
    "Chauhan",
    "Malhotra",
    "Kapoor",
    "Khanna",
    "Mehra",
    "Bhatia",
    "Saxena",
    "Srivastava",
    "Tiwari",
    "Mishra",
    "Pandey",
    "Yadav",
    "Khan",
    "Sethi",
    "Gill",
    "Sandhu",
    "Dhillon",
    "Arora",
];
pub(super) const IN_LAST_WEST: &[&str] = &[
    "Patel",
    "Shah",
    "Desai",
    "Mehta",
    "Joshi",
    "Kulkarni",
    "Deshpande",
    "Patil",
    "Jadhav",
    "Pawar",
    "Shinde",
    "Gaikwad",
    "Bhatt",
    "Trivedi",
    "Parikh",
    "Chavan",
    "D'Souza",
    "Fernandes",
    "Naik",
    "Sawant",
];
pub(super) const IN_LAST_SOUTH: &[&str] = &[
    "Reddy",
    "Rao",
    "Naidu",
    "Iyer",
    "Iyengar",
    "Nair",
    "Menon",
    "Pillai",
    "Krishnan",
    "Subramanian",
    "Raman",
    "Shetty",
    "Gowda",
    "Hegde",
    "Kamath",
    "Varghese",
    "Thomas",
    "Joseph",
    "Chowdary",
    "Murthy",
];
pub(super) const IN_LAST_EAST: &[&str] = &[
    "Banerjee",
    "Chatterjee",
    "Mukherjee",
    "Ghosh",
    "Bose",
    "Das",
    "Dutta",
    "Sen",
    "Roy",
    "Saha",
    "Chakraborty",
    "Bhattacharya",
    "Sarkar",
    "Mondal",
    "Paul",
    "Biswas",
    "Majumdar",
    "Ganguly",
    "Mitra",
    "Pal",
];

pub(super) const US_FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "Ryan",
    "Stephanie",
    "Jacob",
    "Rebecca",
    "Nicholas",
    "Laura",
    "Tyler",
    "Megan",
    "Brandon",
    "Rachel",
    "Justin",
    "Hannah",
    "Carlos",
    "Maria",
    "Jose",
    "Sofia",
    "Luis",
    "Camila",
    "Wei",
    "Mei",
    "Jin",
    "Priya",
    "Raj",
    "Aisha",
    "Malik",
    "Jamal",
    "Keisha",
    "Ethan",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Ava",
    "Mason",
    "Isabella",
    "Logan",
    "Mia",
    "Lucas",
    "Harper",
    "Aiden",
    "Chloe",
    "Jackson",
    "Grace",
    "Diego",
    "Valentina",
    "Minh",
    "Linh",
];
pub(super) const US_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Chen",
    "Patel",
    "Wang",
    "Murphy",
    "O'Brien",
    "Cohen",
    "Sullivan",
    "Kelly",
    "Reyes",
    "Cruz",
    "Ortiz",
    "Morales",
    "Cooper",
    "Howard",
    "Ward",
    "Brooks",
    "Bennett",
    "Gray",
    "Price",
];

pub(super) const IN_EMPLOYERS: &[&str] = &[
    "Infosys Ltd",
    "Tata Consultancy Services Ltd",
    "Wipro Ltd",
    "HCL Technologies Ltd",
    "Reliance Industries Ltd",
    "HDFC Bank Ltd",
    "ICICI Bank Ltd",
    "Larsen & Toubro Ltd",
    "Mahindra & Mahindra Ltd",
    "Accenture Solutions Pvt Ltd",
    "Cognizant Technology Solutions India Pvt Ltd",
    "Tech Mahindra Ltd",
    "Bharti Airtel Ltd",
    "Asian Paints Ltd",
    "Maruti Suzuki India Ltd",
    "Hindustan Unilever Ltd",
    "State Bank of India",
    "Tata Steel Ltd",
    "Flipkart Internet Pvt Ltd",
    "Apollo Hospitals Enterprise Ltd",
];
pub(super) const US_EMPLOYERS: &[&str] = &[
    "Amazon.com Services LLC",
    "Walmart Inc.",
    "JPMorgan Chase & Co.",
    "Kaiser Permanente",
    "UnitedHealth Group",
    "Google LLC",
    "Microsoft Corporation",
    "Target Corporation",
    "The Home Depot",
    "Deloitte LLP",
    "Bank of America",
    "Wells Fargo",
    "Johnson & Johnson",
    "Lockheed Martin",
    "Delta Air Lines",
    "Starbucks Corporation",
    "The Boeing Company",
    "HCA Healthcare",
    "Accenture LLP",
    "Cisco Systems",
];
pub(super) const US_LANDLORDS: &[&str] = &[
    "Greystar Property Management",
    "Equity Residential",
    "AvalonBay Communities",
    "Camden Property Trust",
    "Essex Property Trust",
    "Lincoln Property Company",
];

/// What a purchase, bill or subscription is for; picks merchants and amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Groceries,
    Convenience,
    Delivery,
    Restaurant,
    FastFood,
    Coffee,
    Sweets,
    Bar,
    Fuel,
    Ride,
    Transit,
    OnlineShop,
    Store,
    Electronics,
    Clothing,
    Home,
    Pharmacy,
    Cinema,
    Health,
    Leisure,
    Attraction,
    Hotel,
    Flight,
    Rail,
    Telecom,
    Electricity,
    Broadband,
    Streaming,
    Gym,
}

pub(super) const SLOT_COUNT: usize = Slot::Gym as usize + 1;

/// Where a brand trades.
pub(super) enum At {
    /// Shops in every city of these countries and in these cities.
    Shops(&'static [&'static str], &'static [&'static str]),
    /// An app: one online merchant per city of these countries (rides, delivery).
    App(&'static [&'static str]),
    /// One online merchant registered in a city and country, selling to the market countries.
    Web(&'static str, &'static str, &'static [&'static str]),
}

pub(super) struct Brand {
    pub name: &'static str,
    pub mcc: &'static str,
    pub slot: Slot,
    pub weight: u32,
    pub at: At,
    /// Fixed prices in minor units (plans, subscriptions); empty for everything else.
    pub prices: &'static [i64],
}

const fn shop(
    name: &'static str,
    mcc: &'static str,
    slot: Slot,
    weight: u32,
    countries: &'static [&'static str],
    cities: &'static [&'static str],
) -> Brand {
    Brand {
        name,
        mcc,
        slot,
        weight,
        at: At::Shops(countries, cities),
        prices: &[],
    }
}

const fn app(
    name: &'static str,
    mcc: &'static str,
    slot: Slot,
    weight: u32,
    countries: &'static [&'static str],
) -> Brand {
    Brand {
        name,
        mcc,
        slot,
        weight,
        at: At::App(countries),
        prices: &[],
    }
}

const fn web(
    name: &'static str,
    mcc: &'static str,
    slot: Slot,
    weight: u32,
    city: &'static str,
    country: &'static str,
    market: &'static [&'static str],
) -> Brand {
    Brand {
        name,
        mcc,
        slot,
        weight,
        at: At::Web(city, country, market),
        prices: &[],
    }
}

impl Brand {
    /// The same brand with fixed prices (plans, subscriptions), in minor units.
    const fn priced(self, prices: &'static [i64]) -> Brand {
        Brand { prices, ..self }
    }
}

const NONE: &[&str] = &[];
const I: &[&str] = &["IN"];
const U: &[&str] = &["US"];
const IU: &[&str] = &["IN", "US"];
const WORLD: &[&str] = &["IN", "US", "AE", "GB", "SG", "TH", "FR", "JP", "MX", "CA"];

use Slot::*;

// Prices are written `239_00`: whole units, then minor units (₹239.00).
#[allow(clippy::inconsistent_digit_grouping)]
#[rustfmt::skip]
pub(super) const BRANDS: &[Brand] = &[
    // Groceries.
    shop("DMart", "5411", Groceries, 10, I, NONE),
    shop("Reliance Fresh", "5411", Groceries, 8, I, NONE),
    shop("More Supermarket", "5411", Groceries, 5, I, NONE),
    shop("Spencer's", "5411", Groceries, 5, NONE, &["Kolkata", "Chennai", "Hyderabad", "Delhi", "Bengaluru", "Lucknow"]),
    shop("Nature's Basket", "5411", Groceries, 3, NONE, &["Mumbai", "Delhi", "Bengaluru", "Pune", "Kolkata", "Hyderabad"]),
    shop("Ratnadeep", "5411", Groceries, 6, NONE, &["Hyderabad"]),
    app("BigBasket", "5411", Groceries, 8, I),
    app("Blinkit", "5411", Groceries, 7, I),
    app("Zepto", "5411", Groceries, 6, I),
    shop("Walmart", "5411", Groceries, 10, U, NONE),
    shop("Whole Foods Market", "5411", Groceries, 5, U, &["London"]),
    shop("Trader Joe's", "5411", Groceries, 6, U, NONE),
    shop("Kroger", "5411", Groceries, 6, NONE, &["Atlanta", "Houston", "Dallas"]),
    shop("Safeway", "5411", Groceries, 5, NONE, &["San Francisco", "Seattle", "Denver"]),
    shop("Publix", "5411", Groceries, 8, NONE, &["Atlanta", "Miami", "Orlando"]),
    shop("H-E-B", "5411", Groceries, 9, NONE, &["Houston", "Dallas", "Austin"]),
    shop("Wegmans", "5411", Groceries, 4, NONE, &["New York", "Boston", "Philadelphia"]),
    shop("Jewel-Osco", "5411", Groceries, 7, NONE, &["Chicago"]),
    shop("Ralphs", "5411", Groceries, 6, NONE, &["Los Angeles", "San Diego"]),
    shop("Smith's", "5411", Groceries, 6, NONE, &["Salt Lake City", "Las Vegas"]),
    shop("Aldi", "5411", Groceries, 3, U, NONE),
    app("Instacart", "5411", Groceries, 4, U),
    shop("Carrefour", "5411", Groceries, 8, NONE, &["Dubai", "Paris"]),
    shop("Lulu Hypermarket", "5411", Groceries, 6, NONE, &["Dubai", "Kochi"]),
    shop("Tesco", "5411", Groceries, 8, NONE, &["London"]),
    shop("Sainsbury's", "5411", Groceries, 6, NONE, &["London"]),
    shop("FairPrice", "5411", Groceries, 8, NONE, &["Singapore"]),
    shop("Monoprix", "5411", Groceries, 8, NONE, &["Paris"]),
    shop("Chedraui", "5411", Groceries, 6, NONE, &["Cancun"]),
    shop("Loblaws", "5411", Groceries, 8, NONE, &["Toronto"]),
    // Convenience and speciality food.
    shop("7-Eleven", "5499", Convenience, 6, U, &["Bangkok", "Tokyo", "Singapore"]),
    shop("Wawa", "5499", Convenience, 6, NONE, &["Philadelphia", "Orlando"]),
    shop("24Seven", "5499", Convenience, 4, NONE, &["Delhi", "Chandigarh"]),
    shop("Lawson", "5499", Convenience, 6, NONE, &["Tokyo"]),
    shop("FamilyMart", "5499", Convenience, 6, NONE, &["Tokyo"]),
    shop("OXXO", "5499", Convenience, 8, NONE, &["Cancun"]),
    // Food delivery.
    app("Swiggy", "5812", Delivery, 10, I),
    app("Zomato", "5812", Delivery, 10, I),
    app("DoorDash", "5812", Delivery, 8, U),
    app("Uber Eats", "5812", Delivery, 6, &["US", "GB", "FR", "CA", "MX"]),
    app("Grubhub", "5812", Delivery, 3, U),
    // Restaurants.
    shop("Barbeque Nation", "5812", Restaurant, 4, I, &["Dubai"]),
    shop("Haldiram's", "5812", Restaurant, 4, NONE, &["Delhi", "Lucknow", "Jaipur", "Mumbai", "Kolkata", "Chandigarh"]),
    shop("Mainland China", "5812", Restaurant, 3, I, NONE),
    shop("Saravana Bhavan", "5812", Restaurant, 3, NONE, &["Chennai", "Bengaluru", "Delhi", "Mumbai", "Hyderabad", "London", "Dubai", "Singapore", "New York"]),
    shop("Paradise Biryani", "5812", Restaurant, 4, NONE, &["Hyderabad", "Bengaluru", "Chennai"]),
    shop("Bikanervala", "5812", Restaurant, 3, NONE, &["Delhi", "Jaipur", "Lucknow", "Chandigarh"]),
    shop("Olive Garden", "5812", Restaurant, 4, U, NONE),
    shop("The Cheesecake Factory", "5812", Restaurant, 3, U, &["Dubai"]),
    shop("Applebee's", "5812", Restaurant, 3, U, NONE),
    shop("Texas Roadhouse", "5812", Restaurant, 3, U, NONE),
    shop("P.F. Chang's", "5812", Restaurant, 2, U, NONE),
    shop("Al Mallah", "5812", Restaurant, 6, NONE, &["Dubai"]),
    shop("Ravi Restaurant", "5812", Restaurant, 5, NONE, &["Dubai"]),
    shop("Dishoom", "5812", Restaurant, 6, NONE, &["London"]),
    shop("Jumbo Seafood", "5812", Restaurant, 6, NONE, &["Singapore"]),
    shop("MK Restaurants", "5812", Restaurant, 6, NONE, &["Bangkok"]),
    shop("Jay Fai", "5812", Restaurant, 3, NONE, &["Bangkok"]),
    shop("Cafe de Flore", "5812", Restaurant, 5, NONE, &["Paris"]),
    shop("Bouillon Chartier", "5812", Restaurant, 5, NONE, &["Paris"]),
    shop("Ichiran Ramen", "5812", Restaurant, 6, NONE, &["Tokyo"]),
    shop("La Habichuela", "5812", Restaurant, 6, NONE, &["Cancun"]),
    shop("Britto's", "5812", Restaurant, 6, NONE, &["Goa"]),
    shop("Fisherman's Wharf", "5812", Restaurant, 5, NONE, &["Goa"]),
    shop("St. Lawrence Market Kitchen", "5812", Restaurant, 4, NONE, &["Toronto"]),
    // Fast food.
    shop("McDonald's", "5814", FastFood, 7, WORLD, NONE),
    shop("KFC", "5814", FastFood, 5, &["IN", "US", "AE", "GB", "SG", "TH", "JP"], NONE),
    shop("Domino's Pizza", "5814", FastFood, 6, IU, NONE),
    shop("Burger King", "5814", FastFood, 4, &["IN", "US", "AE", "GB"], NONE),
    shop("Subway", "5814", FastFood, 3, &["IN", "US", "GB", "SG", "CA"], NONE),
    shop("Pizza Hut", "5814", FastFood, 3, IU, NONE),
    shop("Wow! Momo", "5814", FastFood, 3, I, NONE),
    shop("Chipotle", "5814", FastFood, 7, U, &["Toronto", "London"]),
    shop("Taco Bell", "5814", FastFood, 5, U, NONE),
    shop("Wendy's", "5814", FastFood, 4, U, NONE),
    shop("Chick-fil-A", "5814", FastFood, 6, U, NONE),
    shop("Panera Bread", "5814", FastFood, 4, U, NONE),
    shop("Shake Shack", "5814", FastFood, 3, NONE, &["New York", "Boston", "Philadelphia", "Chicago", "Los Angeles", "Miami", "Atlanta", "Dallas", "Houston", "Austin", "Las Vegas", "Orlando", "Dubai", "London", "Tokyo", "Singapore"]),
    shop("In-N-Out Burger", "5814", FastFood, 5, NONE, &["Los Angeles", "San Francisco", "San Diego", "Las Vegas", "Dallas", "Houston", "Austin", "Salt Lake City", "Denver"]),
    shop("Pret A Manger", "5814", FastFood, 7, NONE, &["London", "Paris"]),
    shop("Ya Kun Kaya Toast", "5814", FastFood, 6, NONE, &["Singapore"]),
    shop("Tim Hortons", "5814", Coffee, 10, NONE, &["Toronto"]),
    // Coffee.
    shop("Starbucks", "5814", Coffee, 8, WORLD, NONE),
    shop("Cafe Coffee Day", "5814", Coffee, 5, I, NONE),
    shop("Chaayos", "5814", Coffee, 4, NONE, &["Delhi", "Mumbai", "Bengaluru", "Chandigarh", "Pune"]),
    shop("Third Wave Coffee", "5814", Coffee, 3, NONE, &["Bengaluru", "Mumbai", "Delhi", "Pune", "Hyderabad"]),
    shop("Blue Tokai", "5814", Coffee, 2, NONE, &["Delhi", "Mumbai", "Bengaluru"]),
    shop("Dunkin'", "5814", Coffee, 6, NONE, &["New York", "Boston", "Philadelphia", "Atlanta", "Miami", "Chicago", "Orlando", "Houston", "Dallas"]),
    shop("Peet's Coffee", "5814", Coffee, 3, NONE, &["San Francisco", "Los Angeles", "San Diego", "Seattle", "Chicago", "Boston"]),
    shop("Blue Bottle Coffee", "5814", Coffee, 2, NONE, &["New York", "San Francisco", "Los Angeles", "Tokyo"]),
    shop("Dutch Bros", "5814", Coffee, 2, NONE, &["Denver", "Dallas", "Austin", "Houston", "Las Vegas", "Salt Lake City"]),
    shop("Costa Coffee", "5814", Coffee, 6, NONE, &["London", "Dubai"]),
    // Sweets and bakeries.
    shop("Theobroma", "5462", Sweets, 3, NONE, &["Mumbai", "Pune", "Delhi", "Bengaluru", "Hyderabad"]),
    shop("K C Das", "5441", Sweets, 3, NONE, &["Kolkata", "Bengaluru"]),
    shop("Laduree", "5462", Sweets, 4, NONE, &["Paris", "London", "Dubai"]),
    shop("Krispy Kreme", "5462", Sweets, 2, U, NONE),
    // Bars.
    shop("Social", "5813", Bar, 3, NONE, &["Mumbai", "Delhi", "Bengaluru", "Pune", "Hyderabad", "Chandigarh", "Kolkata", "Chennai"]),
    shop("Toit", "5813", Bar, 2, NONE, &["Bengaluru", "Mumbai"]),
    shop("Coco Bongo", "5813", Bar, 5, NONE, &["Cancun"]),
    // Fuel.
    shop("Indian Oil", "5541", Fuel, 10, I, NONE),
    shop("Bharat Petroleum", "5541", Fuel, 8, I, NONE),
    shop("HP Petrol Pump", "5541", Fuel, 7, I, NONE),
    shop("Shell", "5541", Fuel, 8, U, &["Mumbai", "Bengaluru", "Chennai", "Hyderabad", "Pune", "Delhi", "London"]),
    shop("Chevron", "5541", Fuel, 6, U, NONE),
    shop("ExxonMobil", "5541", Fuel, 6, U, NONE),
    shop("BP", "5541", Fuel, 4, U, &["London"]),
    shop("Costco Gasoline", "5542", Fuel, 4, U, NONE),
    // Rides.
    app("Uber", "4121", Ride, 10, &["IN", "US", "AE", "GB", "FR", "MX", "CA"]),
    app("Ola", "4121", Ride, 8, I),
    app("Rapido", "4121", Ride, 5, I),
    app("Lyft", "4121", Ride, 6, &["US", "CA"]),
    app("Careem", "4121", Ride, 6, &["AE"]),
    app("Grab", "4121", Ride, 10, &["SG", "TH"]),
    shop("NYC Yellow Cab", "4121", Ride, 4, NONE, &["New York"]),
    shop("G7 Taxi", "4121", Ride, 6, NONE, &["Paris"]),
    shop("Nihon Kotsu Taxi", "4121", Ride, 8, NONE, &["Tokyo"]),
    shop("Black Cab London", "4121", Ride, 5, NONE, &["London"]),
    // Public transport.
    shop("Delhi Metro Rail", "4111", Transit, 10, NONE, &["Delhi"]),
    shop("Mumbai Metro One", "4111", Transit, 10, NONE, &["Mumbai"]),
    shop("Namma Metro", "4111", Transit, 10, NONE, &["Bengaluru"]),
    shop("Hyderabad Metro Rail", "4111", Transit, 10, NONE, &["Hyderabad"]),
    shop("Chennai Metro Rail", "4111", Transit, 10, NONE, &["Chennai"]),
    shop("Kolkata Metro", "4111", Transit, 10, NONE, &["Kolkata"]),
    shop("MTA New York City Transit", "4111", Transit, 10, NONE, &["New York"]),
    shop("CTA Ventra", "4111", Transit, 10, NONE, &["Chicago"]),
    shop("MBTA", "4111", Transit, 10, NONE, &["Boston"]),
    shop("SEPTA", "4111", Transit, 10, NONE, &["Philadelphia"]),
    shop("BART", "4111", Transit, 10, NONE, &["San Francisco"]),
    shop("LA Metro", "4111", Transit, 10, NONE, &["Los Angeles"]),
    shop("Sound Transit", "4111", Transit, 10, NONE, &["Seattle"]),
    shop("MARTA", "4111", Transit, 10, NONE, &["Atlanta"]),
    shop("Transport for London", "4111", Transit, 10, NONE, &["London"]),
    shop("RATP", "4111", Transit, 10, NONE, &["Paris"]),
    shop("BTS Skytrain", "4111", Transit, 10, NONE, &["Bangkok"]),
    shop("SimplyGo", "4111", Transit, 10, NONE, &["Singapore"]),
    shop("RTA Dubai Metro", "4111", Transit, 10, NONE, &["Dubai"]),
    shop("JR East", "4112", Transit, 10, NONE, &["Tokyo"]),
    shop("TTC", "4111", Transit, 10, NONE, &["Toronto"]),
    // Online shops.
    web("Amazon.in", "5399", OnlineShop, 12, "Bengaluru", "IN", I),
    web("Flipkart", "5399", OnlineShop, 10, "Bengaluru", "IN", I),
    web("Myntra", "5651", OnlineShop, 6, "Bengaluru", "IN", I),
    web("Nykaa", "5999", OnlineShop, 4, "Mumbai", "IN", I),
    web("Meesho", "5699", OnlineShop, 4, "Bengaluru", "IN", I),
    web("Ajio", "5651", OnlineShop, 3, "Mumbai", "IN", I),
    web("Tata CLiQ", "5311", OnlineShop, 2, "Mumbai", "IN", I),
    web("FirstCry", "5641", OnlineShop, 2, "Pune", "IN", I),
    web("Pepperfry", "5712", OnlineShop, 1, "Mumbai", "IN", I),
    web("Lenskart", "8043", OnlineShop, 1, "Delhi", "IN", I),
    web("Amazon.com", "5399", OnlineShop, 14, "Seattle", "US", U),
    web("eBay", "5399", OnlineShop, 3, "San Jose", "US", U),
    web("Etsy", "5999", OnlineShop, 3, "Brooklyn", "US", U),
    web("Temu", "5399", OnlineShop, 3, "Boston", "US", U),
    web("Wayfair", "5712", OnlineShop, 2, "Boston", "US", U),
    web("Chewy", "5995", OnlineShop, 2, "Dania Beach", "US", U),
    web("Apple.com", "5732", OnlineShop, 2, "Cupertino", "US", U),
    web("Shein", "5651", OnlineShop, 3, "Singapore", "SG", U),
    web("Steam", "5734", OnlineShop, 1, "Bellevue", "US", IU),
    web("Udemy", "8299", OnlineShop, 1, "San Francisco", "US", I),
    // Department, discount and variety stores.
    shop("Shoppers Stop", "5311", Store, 4, I, NONE),
    shop("Lifestyle", "5311", Store, 4, I, &["Dubai"]),
    shop("V-Mart", "5310", Store, 3, NONE, &["Lucknow", "Jaipur", "Kolkata"]),
    shop("Marks & Spencer", "5311", Store, 3, NONE, &["Mumbai", "Delhi", "Bengaluru", "London"]),
    shop("Target", "5310", Store, 10, U, NONE),
    shop("Costco", "5300", Store, 6, U, NONE),
    shop("Macy's", "5311", Store, 3, U, NONE),
    shop("Nordstrom", "5311", Store, 2, U, NONE),
    shop("Kohl's", "5311", Store, 3, U, NONE),
    shop("Dollar Tree", "5310", Store, 3, U, NONE),
    shop("Dubai Duty Free", "5309", Store, 8, NONE, &["Dubai"]),
    shop("Harrods", "5311", Store, 4, NONE, &["London"]),
    shop("Mustafa Centre", "5311", Store, 8, NONE, &["Singapore"]),
    shop("Central Department Store", "5311", Store, 6, NONE, &["Bangkok"]),
    shop("Galeries Lafayette", "5311", Store, 6, NONE, &["Paris"]),
    shop("Don Quijote", "5331", Store, 8, NONE, &["Tokyo"]),
    // Electronics.
    shop("Croma", "5732", Electronics, 6, I, NONE),
    shop("Reliance Digital", "5732", Electronics, 6, I, NONE),
    shop("Vijay Sales", "5732", Electronics, 3, NONE, &["Mumbai", "Pune", "Ahmedabad", "Delhi", "Hyderabad"]),
    shop("Best Buy", "5732", Electronics, 8, U, NONE),
    shop("Apple Store", "5732", Electronics, 3, U, &["Mumbai", "Delhi", "London", "Paris", "Tokyo", "Singapore", "Dubai", "Toronto"]),
    shop("Micro Center", "5732", Electronics, 3, NONE, &["Chicago", "Houston", "Dallas", "Denver", "Boston", "Atlanta"]),
    shop("Bic Camera", "5732", Electronics, 6, NONE, &["Tokyo"]),
    // Clothing and shoes.
    shop("Pantaloons", "5651", Clothing, 4, I, NONE),
    shop("Westside", "5651", Clothing, 4, I, NONE),
    shop("Max Fashion", "5651", Clothing, 3, I, &["Dubai"]),
    shop("FabIndia", "5699", Clothing, 3, I, NONE),
    shop("Bata", "5661", Clothing, 3, I, NONE),
    shop("Manyavar", "5691", Clothing, 2, I, NONE),
    shop("Zara", "5691", Clothing, 3, &["IN", "US", "AE", "GB", "FR"], NONE),
    shop("H&M", "5651", Clothing, 3, &["IN", "US", "AE", "GB", "FR"], NONE),
    shop("Uniqlo", "5651", Clothing, 3, NONE, &["Delhi", "Mumbai", "Bengaluru", "New York", "San Francisco", "Los Angeles", "Chicago", "Boston", "Seattle", "London", "Paris", "Tokyo", "Singapore", "Bangkok"]),
    shop("Old Navy", "5651", Clothing, 5, U, NONE),
    shop("Gap", "5651", Clothing, 3, U, NONE),
    shop("TJ Maxx", "5651", Clothing, 5, U, NONE),
    shop("Marshalls", "5651", Clothing, 3, U, NONE),
    shop("Nike", "5661", Clothing, 3, U, &["Mumbai", "Delhi", "Bengaluru"]),
    shop("Foot Locker", "5661", Clothing, 2, U, NONE),
    shop("Roots", "5691", Clothing, 5, NONE, &["Toronto"]),
    // Home and hardware.
    shop("IKEA", "5712", Home, 4, NONE, &["Mumbai", "Bengaluru", "Hyderabad", "New York", "Chicago", "Los Angeles", "San Francisco", "Seattle", "Houston", "Dallas", "Atlanta", "Denver"]),
    shop("Home Centre", "5712", Home, 4, I, NONE),
    shop("The Home Depot", "5200", Home, 8, U, NONE),
    shop("Lowe's", "5200", Home, 6, U, NONE),
    shop("Ace Hardware", "5251", Home, 3, U, NONE),
    // Pharmacies.
    shop("Apollo Pharmacy", "5912", Pharmacy, 10, I, NONE),
    shop("MedPlus", "5912", Pharmacy, 6, I, NONE),
    shop("Wellness Forever", "5912", Pharmacy, 4, NONE, &["Mumbai", "Pune"]),
    web("PharmEasy", "5912", Pharmacy, 3, "Mumbai", "IN", I),
    web("Tata 1mg", "5912", Pharmacy, 3, "Gurugram", "IN", I),
    shop("CVS Pharmacy", "5912", Pharmacy, 10, U, NONE),
    shop("Walgreens", "5912", Pharmacy, 9, U, NONE),
    shop("Duane Reade", "5912", Pharmacy, 5, NONE, &["New York"]),
    shop("Boots", "5912", Pharmacy, 8, NONE, &["London", "Dubai"]),
    shop("Guardian", "5912", Pharmacy, 8, NONE, &["Singapore"]),
    shop("Shoppers Drug Mart", "5912", Pharmacy, 8, NONE, &["Toronto"]),
    shop("Matsumoto Kiyoshi", "5912", Pharmacy, 8, NONE, &["Tokyo"]),
    shop("Pharmacie Monge", "5912", Pharmacy, 6, NONE, &["Paris"]),
    // Cinemas and tickets.
    shop("PVR INOX", "7832", Cinema, 10, I, NONE),
    shop("Cinepolis", "7832", Cinema, 4, I, NONE),
    web("BookMyShow", "7922", Cinema, 6, "Mumbai", "IN", I),
    shop("AMC Theatres", "7832", Cinema, 8, U, NONE),
    shop("Regal", "7832", Cinema, 5, U, NONE),
    shop("Cinemark", "7832", Cinema, 5, U, NONE),
    web("Fandango", "7922", Cinema, 3, "Los Angeles", "US", U),
    // Doctors, hospitals, labs.
    shop("Apollo Hospitals", "8062", Health, 5, NONE, &["Chennai", "Delhi", "Hyderabad", "Bengaluru", "Kolkata", "Mumbai", "Ahmedabad", "Kochi"]),
    shop("Fortis Hospital", "8062", Health, 4, NONE, &["Delhi", "Mumbai", "Bengaluru", "Jaipur", "Chandigarh", "Kolkata"]),
    shop("Manipal Hospitals", "8062", Health, 4, NONE, &["Bengaluru", "Pune", "Jaipur", "Goa", "Kolkata"]),
    shop("Dr Lal PathLabs", "8071", Health, 4, I, NONE),
    shop("Kaiser Permanente", "8062", Health, 5, NONE, &["Los Angeles", "San Francisco", "San Diego", "Denver", "Seattle", "Atlanta"]),
    shop("CityMD", "8011", Health, 6, NONE, &["New York"]),
    shop("Quest Diagnostics", "8071", Health, 4, U, NONE),
    shop("MinuteClinic", "8011", Health, 3, U, NONE),
    // Books, hobbies, sports, pets, beauty.
    shop("Crossword", "5942", Leisure, 3, I, NONE),
    shop("Hamleys", "5945", Leisure, 2, NONE, &["Mumbai", "Delhi", "Bengaluru", "Hyderabad", "London"]),
    shop("Decathlon", "5941", Leisure, 4, I, &["Paris"]),
    shop("Archies", "5947", Leisure, 2, I, NONE),
    shop("Sephora", "5999", Leisure, 3, NONE, &["Mumbai", "Delhi", "Bengaluru", "New York", "Los Angeles", "Chicago", "San Francisco", "Miami", "Dubai", "Paris", "Singapore"]),
    shop("Barnes & Noble", "5942", Leisure, 4, U, NONE),
    shop("Petco", "5995", Leisure, 3, U, NONE),
    shop("PetSmart", "5995", Leisure, 3, U, NONE),
    shop("Michaels", "5945", Leisure, 3, U, NONE),
    shop("Dick's Sporting Goods", "5941", Leisure, 3, U, NONE),
    shop("Souk Madinat Jumeirah", "5947", Leisure, 5, NONE, &["Dubai"]),
    shop("Camden Market", "5947", Leisure, 5, NONE, &["London"]),
    shop("Chatuchak Market", "5947", Leisure, 6, NONE, &["Bangkok"]),
    shop("Bugis Street", "5947", Leisure, 5, NONE, &["Singapore"]),
    shop("Shakespeare and Company", "5942", Leisure, 4, NONE, &["Paris"]),
    shop("Tokyu Hands", "5945", Leisure, 5, NONE, &["Tokyo"]),
    shop("Mercado 28", "5947", Leisure, 5, NONE, &["Cancun"]),
    shop("Mapusa Market", "5947", Leisure, 5, NONE, &["Goa"]),
    // Sights and amusements.
    shop("Burj Khalifa At the Top", "7991", Attraction, 6, NONE, &["Dubai"]),
    shop("Dubai Aquarium", "7998", Attraction, 4, NONE, &["Dubai"]),
    shop("London Eye", "7991", Attraction, 5, NONE, &["London"]),
    shop("Tower of London", "7991", Attraction, 4, NONE, &["London"]),
    shop("Gardens by the Bay", "7991", Attraction, 5, NONE, &["Singapore"]),
    shop("Universal Studios Singapore", "7996", Attraction, 4, NONE, &["Singapore"]),
    shop("Grand Palace", "7991", Attraction, 5, NONE, &["Bangkok"]),
    shop("Louvre Museum", "7991", Attraction, 5, NONE, &["Paris"]),
    shop("Eiffel Tower", "7991", Attraction, 5, NONE, &["Paris"]),
    shop("Tokyo Skytree", "7991", Attraction, 5, NONE, &["Tokyo"]),
    shop("Xcaret Park", "7996", Attraction, 6, NONE, &["Cancun"]),
    shop("CN Tower", "7991", Attraction, 6, NONE, &["Toronto"]),
    shop("Empire State Building", "7991", Attraction, 5, NONE, &["New York"]),
    shop("Walt Disney World", "7996", Attraction, 8, NONE, &["Orlando"]),
    shop("Universal Orlando Resort", "7996", Attraction, 6, NONE, &["Orlando"]),
    shop("Cirque du Soleil", "7929", Attraction, 5, NONE, &["Las Vegas"]),
    shop("Universal Studios Hollywood", "7996", Attraction, 5, NONE, &["Los Angeles"]),
    shop("Art Institute of Chicago", "7991", Attraction, 4, NONE, &["Chicago"]),
    shop("Alcatraz City Cruises", "7991", Attraction, 4, NONE, &["San Francisco"]),
    shop("Amber Fort", "7991", Attraction, 6, NONE, &["Jaipur"]),
    shop("Wonderla", "7996", Attraction, 4, NONE, &["Bengaluru", "Kochi", "Hyderabad"]),
    shop("Ramoji Film City", "7996", Attraction, 4, NONE, &["Hyderabad"]),
    shop("Goa Water Sports", "7999", Attraction, 6, NONE, &["Goa"]),
    shop("Kingdom of Dreams", "7922", Attraction, 3, NONE, &["Delhi"]),
    // Hotels and travel agencies.
    shop("Marriott", "7011", Hotel, 6, WORLD, NONE),
    shop("Hilton", "7011", Hotel, 5, WORLD, NONE),
    shop("Hyatt", "7011", Hotel, 4, WORLD, NONE),
    shop("Holiday Inn", "7011", Hotel, 4, WORLD, NONE),
    shop("Taj Hotels", "7011", Hotel, 6, I, &["London", "Dubai", "New York"]),
    shop("ITC Hotels", "7011", Hotel, 3, I, NONE),
    shop("OYO", "7011", Hotel, 6, I, NONE),
    shop("Lemon Tree Hotels", "7011", Hotel, 4, I, NONE),
    shop("Best Western", "7011", Hotel, 3, U, NONE),
    shop("Hampton Inn", "7011", Hotel, 4, U, NONE),
    shop("Motel 6", "7011", Hotel, 2, U, NONE),
    shop("Caesars Palace", "7011", Hotel, 6, NONE, &["Las Vegas"]),
    web("MakeMyTrip", "4722", Hotel, 5, "Gurugram", "IN", I),
    web("Airbnb", "4722", Hotel, 4, "San Francisco", "US", IU),
    web("Booking.com", "4722", Hotel, 4, "Amsterdam", "NL", IU),
    web("Expedia", "4722", Hotel, 4, "Seattle", "US", U),
    // Airlines (a carrier's market is its own country) and railways.
    web("IndiGo", "4511", Flight, 10, "Gurugram", "IN", I),
    web("Air India", "4511", Flight, 7, "Gurugram", "IN", I),
    web("Akasa Air", "4511", Flight, 2, "Mumbai", "IN", I),
    web("Delta Air Lines", "4511", Flight, 8, "Atlanta", "US", U),
    web("United Airlines", "4511", Flight, 7, "Chicago", "US", U),
    web("American Airlines", "4511", Flight, 7, "Dallas", "US", U),
    web("Southwest Airlines", "4511", Flight, 6, "Dallas", "US", U),
    web("Emirates", "4511", Flight, 8, "Dubai", "AE", &["AE"]),
    web("British Airways", "4511", Flight, 8, "London", "GB", &["GB"]),
    web("Singapore Airlines", "4511", Flight, 8, "Singapore", "SG", &["SG"]),
    web("Thai Airways", "4511", Flight, 8, "Bangkok", "TH", &["TH"]),
    web("Air France", "4511", Flight, 8, "Paris", "FR", &["FR"]),
    web("ANA", "4511", Flight, 8, "Tokyo", "JP", &["JP"]),
    web("Aeromexico", "4511", Flight, 8, "Mexico City", "MX", &["MX"]),
    web("Air Canada", "4511", Flight, 8, "Montreal", "CA", &["CA"]),
    web("IRCTC", "4112", Rail, 10, "New Delhi", "IN", I),
    web("Amtrak", "4112", Rail, 10, "Washington", "US", U),
    // Telecom: prepaid recharges (India) and postpaid plans.
    web("Jio", "4814", Telecom, 10, "Mumbai", "IN", I).priced(&[239_00, 299_00, 349_00, 399_00, 449_00, 599_00, 719_00]),
    web("Airtel", "4814", Telecom, 8, "New Delhi", "IN", I).priced(&[249_00, 299_00, 349_00, 409_00, 449_00, 549_00, 699_00]),
    web("Vi", "4814", Telecom, 4, "Mumbai", "IN", I).priced(&[219_00, 299_00, 349_00, 449_00, 579_00]),
    web("Verizon", "4814", Telecom, 8, "New York", "US", U).priced(&[35_00, 55_00, 65_00, 80_00, 90_00]),
    web("AT&T", "4814", Telecom, 7, "Dallas", "US", U).priced(&[35_00, 51_00, 65_00, 75_00, 85_99]),
    web("T-Mobile", "4814", Telecom, 7, "Bellevue", "US", U).priced(&[40_00, 50_00, 60_00, 75_00, 90_00]),
    // Broadband.
    web("JioFiber", "4814", Broadband, 8, "Mumbai", "IN", I).priced(&[399_00, 699_00, 999_00, 1499_00]),
    web("Airtel Xstream Fiber", "4814", Broadband, 7, "New Delhi", "IN", I).priced(&[499_00, 799_00, 999_00, 1499_00]),
    web("ACT Fibernet", "4814", Broadband, 4, "Bengaluru", "IN", I).priced(&[549_00, 725_00, 1050_00]),
    web("Hathway", "4814", Broadband, 2, "Mumbai", "IN", I).priced(&[499_00, 699_00]),
    web("Xfinity", "4899", Broadband, 8, "Philadelphia", "US", U).priced(&[55_00, 70_00, 85_00]),
    web("Spectrum", "4899", Broadband, 7, "Stamford", "US", U).priced(&[50_00, 70_00, 90_00]),
    web("Verizon Fios", "4814", Broadband, 4, "New York", "US", U).priced(&[49_99, 69_99, 89_99]),
    web("AT&T Fiber", "4814", Broadband, 4, "Dallas", "US", U).priced(&[55_00, 65_00, 80_00]),
    // Streaming and other subscriptions.
    web("Netflix", "4899", Streaming, 10, "Mumbai", "IN", I).priced(&[149_00, 199_00, 499_00, 649_00]),
    web("Spotify", "4899", Streaming, 7, "Mumbai", "IN", I).priced(&[119_00]),
    web("YouTube Premium", "4899", Streaming, 6, "Mumbai", "IN", I).priced(&[149_00]),
    web("JioHotstar", "4899", Streaming, 8, "Mumbai", "IN", I).priced(&[149_00, 299_00]),
    web("Amazon Prime", "5968", Streaming, 7, "Bengaluru", "IN", I).priced(&[299_00]),
    web("SonyLIV", "4899", Streaming, 3, "Mumbai", "IN", I).priced(&[299_00]),
    web("Apple iCloud+", "4816", Streaming, 3, "Mumbai", "IN", I).priced(&[75_00, 219_00]),
    web("Netflix", "4899", Streaming, 10, "Los Gatos", "US", U).priced(&[7_99, 17_99, 24_99]),
    web("Spotify", "4899", Streaming, 8, "New York", "US", U).priced(&[11_99]),
    web("YouTube Premium", "4899", Streaming, 5, "San Bruno", "US", U).priced(&[13_99]),
    web("Disney+", "4899", Streaming, 6, "Burbank", "US", U).priced(&[9_99, 15_99]),
    web("Hulu", "4899", Streaming, 5, "Santa Monica", "US", U).priced(&[9_99]),
    web("Max", "4899", Streaming, 5, "New York", "US", U).priced(&[9_99, 16_99]),
    web("Amazon Prime", "5968", Streaming, 7, "Seattle", "US", U).priced(&[14_99]),
    web("Apple iCloud+", "4816", Streaming, 4, "Cupertino", "US", U).priced(&[99, 2_99, 9_99]),
    web("Cult.fit", "7997", Gym, 10, "Bengaluru", "IN", I).priced(&[999_00, 1499_00, 2199_00]),
    web("Planet Fitness", "7997", Gym, 10, "Hampton", "US", U).priced(&[15_00, 24_99]),
];

/// Each home city's electricity company (MCC 4900), paid by direct debit.
pub(super) const ELECTRICITY: &[(&str, &str)] = &[
    ("Mumbai", "Adani Electricity Mumbai"),
    ("Delhi", "BSES Rajdhani Power"),
    ("Bengaluru", "BESCOM"),
    ("Hyderabad", "TGSPDCL"),
    ("Chennai", "TANGEDCO"),
    ("Kolkata", "CESC Limited"),
    ("Pune", "MSEDCL"),
    ("Ahmedabad", "Torrent Power"),
    ("Jaipur", "Jaipur Vidyut Vitran Nigam"),
    ("Lucknow", "UPPCL"),
    ("Kochi", "KSEB"),
    ("Chandigarh", "Chandigarh Power Distribution"),
    ("New York", "Con Edison"),
    ("Boston", "Eversource"),
    ("Philadelphia", "PECO"),
    ("Atlanta", "Georgia Power"),
    ("Miami", "FPL"),
    ("Chicago", "ComEd"),
    ("Houston", "Reliant Energy"),
    ("Dallas", "TXU Energy"),
    ("Austin", "Austin Energy"),
    ("Denver", "Xcel Energy"),
    ("Salt Lake City", "Rocky Mountain Power"),
    ("Los Angeles", "LADWP"),
    ("San Francisco", "PG&E"),
    ("Seattle", "Seattle City Light"),
    ("San Diego", "SDG&E"),
];

/// Independent local businesses, made per city from a pattern: `{s}` a
/// surname, `{w}` a word from the country's word list, `{c}` the city.
struct Local {
    pattern: &'static str,
    mcc: &'static str,
    slot: Slot,
    per_city: u32,
    weight: u32,
}

const fn local(
    pattern: &'static str,
    mcc: &'static str,
    slot: Slot,
    per_city: u32,
    weight: u32,
) -> Local {
    Local {
        pattern,
        mcc,
        slot,
        per_city,
        weight,
    }
}

const IN_LOCALS: &[Local] = &[
    local("{s} Kirana Store", "5411", Groceries, 3, 4),
    local("Sri {w} Provision Stores", "5411", Groceries, 2, 3),
    local("{w} General Store", "5499", Convenience, 3, 4),
    local("Hotel {w} Sagar", "5812", Restaurant, 2, 4),
    local("{c} Biryani House", "5812", Restaurant, 1, 4),
    local("{s} Dhaba", "5812", Restaurant, 1, 3),
    local("{w} Sweets", "5441", Sweets, 2, 4),
    local("{w} Bakery", "5462", Sweets, 1, 3),
    local("{c} Brew House", "5813", Bar, 1, 3),
    local("{s} Medicals", "5912", Pharmacy, 2, 4),
    local("Dr. {s}'s Clinic", "8011", Health, 2, 4),
    local("{s} Dental Care", "8021", Health, 1, 3),
    local("{w} Book Depot", "5942", Leisure, 1, 2),
    local("{w} Fashions", "5651", Clothing, 1, 2),
    local("{s} Hardware", "5251", Home, 1, 3),
];
const IN_WORDS: &[&str] = &[
    "Lakshmi",
    "Ganesh",
    "Balaji",
    "Sai",
    "Krishna",
    "Durga",
    "Annapoorna",
    "Shree Ram",
    "Vinayaka",
    "Murugan",
    "New India",
    "Jai Hind",
];

const US_LOCALS: &[Local] = &[
    local("{s}'s Market", "5411", Groceries, 2, 3),
    local("{c} Deli & Grocery", "5499", Convenience, 2, 4),
    local("{s}'s Diner", "5812", Restaurant, 2, 4),
    local("Taqueria {w}", "5812", Restaurant, 1, 4),
    local("{c} Coffee Roasters", "5814", Coffee, 1, 3),
    local("The {w} Tavern", "5813", Bar, 2, 4),
    local("{s} Family Pharmacy", "5912", Pharmacy, 1, 2),
    local("{s} Family Dental", "8021", Health, 1, 3),
    local("{s} Medical Group", "8011", Health, 1, 3),
    local("{c} Books", "5942", Leisure, 1, 2),
    local("{s} Hardware", "5251", Home, 1, 2),
];
const US_WORDS: &[&str] = &[
    "Rusty Anchor",
    "Copper Kettle",
    "Brass Lantern",
    "Oak Barrel",
    "Red Fox",
    "Blue Heron",
    "El Sol",
    "La Esquina",
    "Los Amigos",
    "San Marcos",
    "Iron Horse",
    "Golden Pheasant",
];

pub(super) struct Merchant {
    pub id: String,
    pub name: String,
    pub mcc: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub online: bool,
    /// What a statement line says: the name, and the city for a shop.
    pub label: String,
    pub category: Category,
    pub prices: &'static [i64],
}

/// Weighted choices among merchants: `(merchant, cumulative weight)`.
#[derive(Default)]
pub(super) struct Choices {
    pub items: Vec<(u32, u32)>,
}

impl Choices {
    fn push(&mut self, merchant: u32, weight: u32) {
        let total = self.total();
        self.items.push((merchant, total + weight));
    }

    pub fn total(&self) -> u32 {
        self.items.last().map_or(0, |&(_, w)| w)
    }

    /// The merchant whose cumulative weight first exceeds `r` (`r < total()`).
    pub fn at(&self, r: u32) -> u32 {
        let i = self.items.partition_point(|&(_, w)| w <= r);
        self.items[i.min(self.items.len() - 1)].0
    }
}

pub(super) struct Catalog {
    pub merchants: Vec<Merchant>,
    /// Shops and apps by `[slot][city]`.
    local: Vec<Choices>,
    /// Web merchants by `[slot][market country]`.
    web: Vec<Choices>,
    /// The electricity company of each city (home cities only).
    pub electricity: Vec<Option<u32>>,
}

pub(super) static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::build);

pub(super) fn city_index(name: &str) -> Option<usize> {
    CITIES.iter().position(|c| c.name == name)
}

fn country_index(code: &str) -> Option<usize> {
    COUNTRIES.iter().position(|&c| c == code)
}

impl Catalog {
    pub fn local(&self, slot: Slot, city: usize) -> &Choices {
        &self.local[slot as usize * CITIES.len() + city]
    }

    pub fn web(&self, slot: Slot, country: u8) -> &Choices {
        &self.web[slot as usize * COUNTRIES.len() + usize::from(country)]
    }

    fn build() -> Catalog {
        let mut catalog = Catalog {
            merchants: Vec::new(),
            local: (0..SLOT_COUNT * CITIES.len())
                .map(|_| Choices::default())
                .collect(),
            web: (0..SLOT_COUNT * COUNTRIES.len())
                .map(|_| Choices::default())
                .collect(),
            electricity: vec![None; CITIES.len()],
        };
        for brand in BRANDS {
            match brand.at {
                At::Shops(countries, cities) => {
                    for (ci, c) in CITIES.iter().enumerate() {
                        if countries.contains(&COUNTRIES[usize::from(c.country)])
                            || cities.contains(&c.name)
                        {
                            catalog.add_local(
                                brand.name.to_owned(),
                                brand.mcc,
                                brand.slot,
                                ci,
                                false,
                                brand.weight,
                            );
                        }
                    }
                }
                At::App(countries) => {
                    for (ci, c) in CITIES.iter().enumerate() {
                        if countries.contains(&COUNTRIES[usize::from(c.country)]) {
                            catalog.add_local(
                                brand.name.to_owned(),
                                brand.mcc,
                                brand.slot,
                                ci,
                                true,
                                brand.weight,
                            );
                        }
                    }
                }
                At::Web(city, country, market) => {
                    let m = catalog.push(
                        brand.name.to_owned(),
                        brand.mcc,
                        city,
                        country,
                        true,
                        brand.prices,
                    );
                    for code in market {
                        if let Some(k) = country_index(code) {
                            catalog.web[brand.slot as usize * COUNTRIES.len() + k]
                                .push(m, brand.weight);
                        }
                    }
                }
            }
        }
        for &(city, name) in ELECTRICITY {
            if let Some(ci) = city_index(city) {
                let m = catalog.push(
                    name.to_owned(),
                    "4900",
                    CITIES[ci].name,
                    COUNTRIES[usize::from(CITIES[ci].country)],
                    false,
                    &[],
                );
                catalog.electricity[ci] = Some(m);
            }
        }
        for (ci, c) in CITIES.iter().enumerate() {
            let (locals, words, surnames): (&[Local], &[&str], &[&str]) = match c.country {
                IN => (IN_LOCALS, IN_WORDS, surnames_of(c.region)),
                US => (US_LOCALS, US_WORDS, US_LAST),
                _ => continue,
            };
            for (ti, t) in locals.iter().enumerate() {
                for k in 0..t.per_city as usize {
                    let s = surnames[(ci * 7 + ti * 5 + k * 11) % surnames.len()];
                    let w = words[(ci * 3 + ti * 7 + k * 5) % words.len()];
                    let name = t
                        .pattern
                        .replace("{s}", s)
                        .replace("{w}", w)
                        .replace("{c}", c.name);
                    catalog.add_local(name, t.mcc, t.slot, ci, false, t.weight);
                }
            }
        }
        catalog
    }

    fn push(
        &mut self,
        name: String,
        mcc: &'static str,
        city: &'static str,
        country: &'static str,
        online: bool,
        prices: &'static [i64],
    ) -> u32 {
        let index = self.merchants.len() as u32;
        let label = if online || name.contains(city) {
            name.clone()
        } else {
            format!("{name} {city}")
        };
        self.merchants.push(Merchant {
            id: format!("mer_{:04}", index + 1),
            category: Category::from_mcc(mcc),
            name,
            mcc,
            city,
            country,
            online,
            label,
            prices,
        });
        index
    }

    fn add_local(
        &mut self,
        name: String,
        mcc: &'static str,
        slot: Slot,
        city: usize,
        online: bool,
        weight: u32,
    ) {
        let c = &CITIES[city];
        let m = self.push(
            name,
            mcc,
            c.name,
            COUNTRIES[usize::from(c.country)],
            online,
            &[],
        );
        self.local[slot as usize * CITIES.len() + city].push(m, weight);
    }
}

pub(super) fn surnames_of(region: Region) -> &'static [&'static str] {
    match region {
        North => IN_LAST_NORTH,
        West => IN_LAST_WEST,
        South => IN_LAST_SOUTH,
        East => IN_LAST_EAST,
        Elsewhere => US_LAST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_uses_official_codes_and_unique_ids() {
        let catalog = &*CATALOG;
        assert!(
            catalog.merchants.len() > 500,
            "{} merchants",
            catalog.merchants.len()
        );
        let mut ids = HashSet::new();
        for m in &catalog.merchants {
            assert!(
                anumati_domain::mcc::description(m.mcc).is_some(),
                "{} has unlisted MCC {}",
                m.name,
                m.mcc
            );
            assert!(ids.insert(m.id.as_str()), "duplicate id {}", m.id);
            assert!(
                m.name.is_ascii() && m.city.is_ascii(),
                "{} {}",
                m.name,
                m.city
            );
        }
    }

    #[test]
    fn every_home_city_has_the_everyday_merchants() {
        for (ci, c) in CITIES.iter().enumerate().filter(|(_, c)| c.home > 0) {
            for slot in [
                Groceries, Restaurant, FastFood, Coffee, Ride, Pharmacy, Fuel, Hotel,
            ] {
                assert!(
                    CATALOG.local(slot, ci).total() > 0,
                    "{} has no {slot:?}",
                    c.name
                );
            }
            assert!(
                CATALOG.electricity[ci].is_some(),
                "{} has no electricity company",
                c.name
            );
        }
        for (_, c) in CITIES.iter().enumerate().filter(|(_, c)| c.country > US) {
            assert!(ZONES.get(usize::from(c.zone)).is_some());
        }
    }

    #[test]
    fn named_places_exist() {
        for brand in BRANDS {
            if let At::Shops(_, cities) = brand.at {
                for city in cities {
                    assert!(
                        city_index(city).is_some(),
                        "{}: unknown city {city}",
                        brand.name
                    );
                }
            }
        }
        let named = ELECTRICITY
            .iter()
            .map(|e| e.0)
            .chain(ABROAD_FROM_IN.iter().chain(ABROAD_FROM_US).map(|a| a.0));
        for city in named {
            assert!(city_index(city).is_some(), "unknown city {city}");
        }
    }
}

"""Word lists and weighted tables the catalogue generator draws from (data only)."""

from __future__ import annotations

PRODUCT_TYPES = (("simple", 0.19), ("variable", 0.78), ("grouped", 0.015), ("external", 0.015))
VARIATION_COUNTS = ((1, 0.08), (2, 0.12), (3, 0.2), (4, 0.25), (5, 0.35))  # ~2.9 variations per product
PRODUCT_STATUSES = (("publish", 0.9), ("draft", 0.04), ("pending", 0.03), ("private", 0.03))
CUSTOMER_ROLES = (("customer", 0.93), ("wholesale_customer", 0.04), ("subscriber", 0.03))
ORDER_STATUSES = (
    ("completed", 0.5),
    ("processing", 0.25),
    ("on-hold", 0.05),
    ("pending", 0.1),
    ("cancelled", 0.05),
    ("refunded", 0.03),
    ("failed", 0.02),
)
SKU_PREFIXES = ("TSH", "MUG", "BAG", "HAT", "SCK", "JKT", "BTL", "NTB", "LMP", "CUS")
ADJECTIVES = ("Classic", "Organic", "Vintage", "Premium", "Everyday", "Rugged", "Slim", "Heritage", "Urban", "Coastal")
MATERIALS = ("Cotton", "Linen", "Leather", "Wool", "Bamboo", "Ceramic", "Steel", "Oak", "Canvas", "Recycled")
NOUNS = ("T-Shirt", "Mug", "Tote Bag", "Beanie", "Socks", "Jacket", "Bottle", "Notebook", "Lamp", "Cushion")
COLOURS = ["Red", "Blue", "Green", "Black", "White", "Navy", "Grey", "Mustard"]
SIZES = ["S", "M", "L", "XL", "XXL"]
BLURBS = (
    "Made to last and built for every day.",
    "Ethically sourced and finished by hand.",
    "A best seller, now in new colours.",
    "Designed in Bristol — café-tested.",
    "Ships in plastic-free packaging.",
)
CATEGORIES = (
    (15, "Uncategorized", "uncategorized"),
    (21, "Clothing", "clothing"),
    (22, "Home", "home"),
    (23, "Accessories", "accessories"),
    (24, "Stationery", "stationery"),
)
FIRST_NAMES = (
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Chloé",
    "Harry",
    "Mia",
    "Jack",
    "Zoë",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Oscar",
    "Sofia",
    "Ravi",
    "Priya",
    "Siobhán",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Evans",
    "Thomas",
    "Roberts",
    "O'Neill",
    "Müller",
    "García",
    "Khan",
    "Murphy",
    "Walker",
    "Wright",
    "Green",
)
EMAIL_DOMAINS = ("example.com", "example.co.uk", "example.org", "mail.example.net")
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street", "Park Avenue", "Green Lane")
COMPANIES = ("Acme Trading Ltd", "Northwind Supplies", "Bright Retail plc", "Harbour & Co", "Oakfield Stores")
COUNTRIES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("GB", [], ["London", "Bristol", "Leeds", "Manchester", "Glasgow"]),
    ("GB", [], ["Cardiff", "York", "Brighton"]),
    ("US", ["CA", "NY", "TX"], ["Los Angeles", "New York", "Austin"]),
    ("DE", [], ["Berlin", "Hamburg"]),
    ("IE", [], ["Dublin", "Cork"]),
)

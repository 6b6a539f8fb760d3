"""Readable category and item names for synthetic catalogues, built from per-category word lists.

A few names carry ``&``, ``<``, ``>``, quotes and commas on purpose: display code and CSV writers must
escape them, and the demo data should show it when they do not.
"""

from __future__ import annotations

import numpy as np

# Category name -> (qualifiers, product nouns). "<qualifier> <noun> #<n>" reads like a shop listing.
CATEGORY_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Running & Trail": (
        ("Trail", "Road", "Lightweight", "Cushioned", "Waterproof", "Carbon-plated"),
        ("running shoe", "racing flat", "hydration vest", "running sock", "split short", "running cap"),
    ),
    "Camping & Hiking": (
        ("Ultralight", "4-season", "Packable", "Insulated", "Two-person", "Alpine"),
        ("tent", "sleeping bag", "trekking pole", "headlamp", "daypack", "camp stove"),
    ),
    "Kitchen": (
        ("Cast-iron", "Non-stick", "Stainless", "Enamel", "Bamboo", "Ceramic"),
        ("skillet", "saucepan", "chef's knife", "cutting board", "Dutch oven", "mixing bowl"),
    ),
    "Coffee & Tea": (
        ("Single-origin", "Dark roast", "Decaf", "Loose-leaf", "Cold-brew", "Organic"),
        ("coffee beans", "pour-over kettle", "burr grinder", "green tea", "espresso cup", "French press"),
    ),
    "Books": (
        ("Illustrated", "Paperback", "Hardcover", "Collected", "Annotated", "Pocket"),
        ("mystery novel", "cookbook", "field guide", "poetry collection", "sci-fi saga", "travel memoir"),
    ),
    "Board Games": (
        ("Cooperative", "Family", "Two-player", "Party", "Strategy", "Deluxe"),
        ("board game", "card game", "dice set", "puzzle box", "expansion pack", "word game"),
    ),
    "Kids & Baby": (
        ("Wooden", "Soft", "Musical", "Stacking", "Plush", "Bath-time"),
        ("building blocks", "teddy bear", "rattle", "play tent", "puzzle mat", "night-light"),
    ),
    "Audio": (
        ("Wireless", "Noise-cancelling", "Over-ear", "Portable", "Studio", "Bass-boost"),
        ("headphones", "earbuds", "speaker", "soundbar", "turntable", "microphone"),
    ),
    "Computers": (
        ("Mechanical", "Ergonomic", "USB-C", "27-inch", "Low-profile", "Backlit"),
        ("keyboard", "mouse", "monitor", "laptop stand", "docking station", "webcam"),
    ),
    "Phones & Tablets": (
        ("Rugged", "Slim", "Magnetic", "Fast-charge", "Tempered-glass", "Leather"),
        ("phone case", "charger", "screen protector", "tablet sleeve", "power bank", "stylus"),
    ),
    "Garden & Outdoor": (
        ("Raised", "Solar", "Self-watering", "Heirloom", "Folding", "Galvanised"),
        ("planter", "garden light", "hose reel", "seed kit", "pruning shears", "bird feeder"),
    ),
    "Home Decor": (
        ("Handwoven", "Linen", "Velvet", "Minimalist", "Vintage", "Rattan"),
        ("throw pillow", "rug", "wall clock", "table lamp", "photo frame", "vase"),
    ),
    "Beauty": (
        ("Hydrating", "Fragrance-free", "Vitamin C", "Overnight", "Mineral", "Matte"),
        ("face serum", "moisturiser", "lip balm", "sunscreen", "clay mask", "eye cream"),
    ),
    "Fitness": (
        ("Adjustable", "Non-slip", "Heavy-duty", "Foldable", "Resistance", "Cork"),
        ("dumbbell", "yoga mat", "kettlebell", "jump rope", "foam roller", "pull-up bar"),
    ),
    "Cycling": (
        ("Aero", "Gravel", "Tubeless", "Clip-in", "Reflective", "Carbon"),
        ("bike helmet", "tyre", "saddle", "bike light", "cycling jersey", "mini pump"),
    ),
    "Pet Supplies": (
        ("Orthopedic", "Chew-proof", "Grain-free", "Reflective", "Self-cleaning", "Calming"),
        ("dog bed", "cat tree", "leash", "litter box", "dog treats", "scratching post"),
    ),
    "Musical Instruments": (
        ("Acoustic", "Electric", "Beginner", "Vintage-style", "Travel", "Maple"),
        ("guitar", "ukulele", "keyboard stand", "drum pad", "guitar strings", "capo"),
    ),
    "Stationery": (
        ("Dotted", "Refillable", "Recycled", "A5", "Fountain", "Pastel"),
        ("notebook", "pen", "planner", "sketchbook", "ink cartridge", "washi tape"),
    ),
    "Grocery": (
        ("Organic", "Smoked", "Cold-pressed", "Wild", "Aged", "Spicy"),
        ("olive oil", "pasta", "honey", "dark chocolate", "hot sauce", "granola"),
    ),
    "Fashion": (
        ("Merino", "Denim", "Oversized", "Slim-fit", "Waxed", "Cashmere"),
        ("jacket", "sweater", "jeans", "scarf", "beanie", "belt"),
    ),
    "Watches & Jewelry": (
        ("Automatic", "Sterling silver", "Rose-gold", "Minimal", "Diver's", "Engraved"),
        ("watch", "necklace", "ring", "bracelet", "earrings", "watch strap"),
    ),
    "Travel & Luggage": (
        ("Carry-on", "Hard-shell", "Expandable", "Anti-theft", "Weekend", "Compression"),
        ("suitcase", "backpack", "packing cube", "travel pillow", "toiletry bag", "luggage tag"),
    ),
    "Photography": (
        ("Prime", "Zoom", "Carbon-fibre", "Compact", "Mirrorless", "Variable ND"),
        ("lens", "tripod", "camera bag", "memory card", "lens filter", "camera strap"),
    ),
    "Video Games": (
        ("Open-world", "Retro", "Co-op", "Racing", "Puzzle", "Collector's"),
        ("game", "controller", "gaming headset", "charging dock", "steering wheel", "game bundle"),
    ),
}

# Makers whose names need escaping in HTML, CSV and quoted strings.
AWKWARD_BRANDS: tuple[str, ...] = (
    "Smith & Daughters",
    "O'Malley's",
    "Nord<Form>",
    "Bee's & Co",
    "A&B Supply",
)

# Share of items that get an awkward name: enough that a demo shows unescaped output, few enough to read.
AWKWARD_SHARE = 0.06


def category_names(n_categories: int) -> list[str]:
    """The first ``n_categories`` readable category names; past the word lists, "Kitchen 2" and so on."""
    base = list(CATEGORY_WORDS)
    return [
        base[i % len(base)] if i < len(base) else f"{base[i % len(base)]} {i // len(base) + 1}"
        for i in range(n_categories)
    ]


def _words_for(category: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if category in CATEGORY_WORDS:
        return CATEGORY_WORDS[category]
    return CATEGORY_WORDS[category.rsplit(" ", 1)[0]]


def item_names(category: str, count: int, rng: np.random.Generator) -> list[str]:
    """``count`` names for items of ``category`` ("Trail running shoe #12" and a few odd ones)."""
    qualifiers, nouns = _words_for(category)
    seen: dict[tuple[str, str], int] = {}
    names = []
    for _ in range(count):
        qualifier = qualifiers[rng.integers(len(qualifiers))]
        noun = nouns[rng.integers(len(nouns))]
        number = seen.get((qualifier, noun), 0) + 1 + int(rng.integers(0, 3))  # gaps read like real SKUs
        seen[(qualifier, noun)] = number
        plain = f"{qualifier} {noun} #{number}"
        if rng.random() >= AWKWARD_SHARE:
            names.append(plain)
            continue
        style = int(rng.integers(4))
        if style == 0:
            names.append(f"{AWKWARD_BRANDS[rng.integers(len(AWKWARD_BRANDS))]} {noun} #{number}")
        elif style == 1:
            names.append(f'{noun[0].upper()}{noun[1:]} "{qualifier}" edition #{number}')
        elif style == 2:
            names.append(f"{plain} <limited>")
        else:
            names.append(f"{qualifier} {noun}, pack of {int(rng.integers(2, 6))} #{number}")
    return names

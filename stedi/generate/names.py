"""Unique customer names ("Santosh Clayton") and their emails ("Santosh.Clayton@test.com").

As in the real data no name repeats: customer number i gets name number (A * i + B) mod N of
the N = 128 * 10,240 first-name and surname pairs, A and B drawn from the seed (A coprime to
N, so the map is one to one). Beyond N customers the names repeat and the emails carry the
round (Santosh.Clayton2@test.com), so emails stay unique. Surnames are made of an onset, a
middle and an ending (Clay-ton, Han-sen, Ash-er-ford).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stedi.generate.jsonlines import integers, strings, text

FIRST_NAMES = (
    "Angie", "Ashley", "Ben", "Bobby", "Chris", "Christina", "Craig", "Dan", "Danny", "David", "Edward",
    "Eric", "Frank", "Gail", "Jacob", "Jane", "Jason", "Jaya", "Jerry", "John", "Larry", "Liz", "Lyn",
    "Manoj", "Neeraj", "Santosh", "Sarah", "Sean", "Senthil", "Spencer", "Suresh", "Travis", "Trevor",
    "Aisha", "Alan", "Alice", "Amir", "Ana", "Anna", "Arjun", "Beatriz", "Bruno", "Carla", "Carlos",
    "Chen", "Chloe", "Dalia", "Deepa", "Diego", "Dmitri", "Elena", "Eli", "Emma", "Erik", "Esther",
    "Fatima", "Felix", "Fiona", "Grace", "Hana", "Hannah", "Hugo", "Ibrahim", "Ines", "Ivan", "Jamal",
    "Jin", "Joanna", "Jonas", "Julia", "Kai", "Karen", "Kenji", "Kofi", "Lara", "Lena", "Leo", "Lina",
    "Lucas", "Luis", "Maya", "Marco", "Maria", "Mateo", "Mei", "Mia", "Mohan", "Nadia", "Nina", "Noah",
    "Nora", "Olga", "Omar", "Oscar", "Paul", "Pedro", "Priya", "Quinn", "Rafael", "Raj", "Rosa", "Ruth",
    "Sami", "Sara", "Simon", "Sofia", "Sven", "Tara", "Theo", "Tomas", "Uma", "Valentina", "Victor",
    "Wei", "Xavier", "Yara", "Yusuf", "Zara", "Zoe", "Aaron", "Bianca", "Cyrus", "Dora", "Emil",
    "Freya", "Gustav", "Helga", "Igor",
)  # fmt: skip
ONSETS = (
    "Al", "Ash", "Bar", "Bel", "Bran", "Cal", "Clay", "Dal", "Dor", "Ed", "Fair", "Gar", "Hal", "Han",
    "Hen", "Jack", "Kel", "Lan", "Lin", "Mar", "Mil", "Nor", "Os", "Pem", "Rad", "Ros", "Stan", "Tal",
    "Ten", "Wal", "Wes", "Win",
)  # fmt: skip
MIDDLES = ("", "a", "e", "i", "o", "er", "en", "ing")
ENDINGS = (
    "ton", "son", "sen", "ley", "ford", "field", "well", "wood", "man", "by", "ham", "more", "stead",
    "worth", "wick", "dale", "brook", "croft", "gate", "hurst", "land", "mere", "ridge", "shaw",
    "thorpe", "way", "win", "ling", "ster", "cott", "bury", "den", "don", "ell", "ett", "ard", "ock",
    "ins", "kin", "low",
)  # fmt: skip
SURNAMES = len(ONSETS) * len(MIDDLES) * len(ENDINGS)
PAIRS = len(FIRST_NAMES) * SURNAMES  # 1,310,720 distinct names


def name_map(rng: np.random.Generator) -> tuple[int, int]:
    """(A, B) of the one-to-one map from customer numbers to name numbers."""
    while True:
        a = int(rng.integers(1, PAIRS))
        if np.gcd(a, PAIRS) == 1:
            return a, int(rng.integers(0, PAIRS))


def names(numbers: np.ndarray, mapping: tuple[int, int]) -> tuple[pa.Array, pa.Array]:
    """The name ("First Last") and email of each customer number (0-based, unique)."""
    a, b = mapping
    numbers = np.asarray(numbers, dtype=np.int64)
    pair = (numbers % PAIRS * a + b) % PAIRS  # < 2**21 * 2**21: no overflow
    first = strings(FIRST_NAMES).take(pair % len(FIRST_NAMES))
    surname = pair // len(FIRST_NAMES)
    onset = surname % len(ONSETS)
    middle = surname // len(ONSETS) % len(MIDDLES)
    ending = surname // (len(ONSETS) * len(MIDDLES))
    last = pc.binary_join_element_wise(
        strings(ONSETS).take(onset), strings(MIDDLES).take(middle), strings(ENDINGS).take(ending), text("")
    )
    name = pc.binary_join_element_wise(first, text(" "), last, text(""))
    rounds = numbers // PAIRS
    suffix = pc.if_else(pa.array(rounds > 0), integers(rounds), text(""))
    email = pc.binary_join_element_wise(first, text("."), last, suffix, text("@test.com"), text(""))
    return name, email

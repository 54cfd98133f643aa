"""Name tables behind the disagreements between sources: nicknames and transliteration variants.

Some synthetic people are given names from these tables on purpose, so that every population, however
small, has people whose records disagree in these ways.
"""

# Formal forename -> the short forms officers and custody staff write down instead.
MALE_NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Richard": ("Rich", "Dick", "Richie"),
    "Edward": ("Ted", "Ed", "Eddie"),
    "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick"),
    "Anthony": ("Tony", "Ant"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Joseph": ("Joe", "Joey"),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"),
    "Stephen": ("Steve", "Stevie"),
    "Nicholas": ("Nick", "Nicky"),
    "Henry": ("Harry", "Hal"),
    "Frederick": ("Fred", "Freddie"),
    "Alexander": ("Alex", "Sandy"),
}
FEMALE_NICKNAMES: dict[str, tuple[str, ...]] = {
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Susan": ("Sue", "Susie"),
    "Patricia": ("Pat", "Trish"),
    "Deborah": ("Debbie", "Deb"),
    "Charlotte": ("Lottie", "Charlie"),
    "Samantha": ("Sam", "Sammy"),
    "Jessica": ("Jess", "Jessie"),
    "Alexandra": ("Alex", "Sasha"),
    "Abigail": ("Abby", "Gail"),
}
NICKNAMES: dict[str, tuple[str, ...]] = MALE_NICKNAMES | FEMALE_NICKNAMES

# Spellings of one name in Latin script; any member may be recorded for any other.
MALE_TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed"),
    ("Yusuf", "Yousef", "Youssef"),
    ("Ibrahim", "Ebrahim"),
    ("Mustafa", "Mostafa", "Moustafa"),
    ("Hassan", "Hasan"),
)
FEMALE_TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Aisha", "Ayesha", "Aysha"),
    ("Fatima", "Fatimah", "Fatma"),
    ("Maryam", "Mariam", "Meryem"),
    ("Zainab", "Zaynab", "Zeinab"),
)
SURNAME_TRANSLITERATIONS: tuple[tuple[str, ...], ...] = (
    ("Hussain", "Hussein", "Husain"),
    ("Rahman", "Rehman"),
    ("Chaudhry", "Chaudhary", "Choudhury"),
    ("Ahmed", "Ahmad"),
    ("Mahmood", "Mahmud", "Mehmood"),
)


def spellings(name: str) -> tuple[str, ...]:
    """Every spelling in ``name``'s transliteration group, or just ``name`` if it has none."""
    for group in MALE_TRANSLITERATIONS + FEMALE_TRANSLITERATIONS + SURNAME_TRANSLITERATIONS:
        if name in group:
            return group
    return (name,)

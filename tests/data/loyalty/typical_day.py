"""A typical month end: two shops pay their members."""

from loyalty import Member, Program

north = Program(
    [
        Member("ann", 120, 3),
        Member("bob", 340, 7),
        Member("cy", 800, 24),
        Member("dee", 2300, 30),
        Member("fay", 60, 1, active=False),
    ]
)
south = Program([Member("gus", 12000, 5), Member("hal", 90, 40)])
for shop in (north, south):
    paid, total = shop.rewards()
    print(sorted(paid.items()), total)

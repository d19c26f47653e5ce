"""Loyalty rewards as the shop pays them at month end: a rules loop over the members
the program holds, thresholds on their attributes, and a cap."""


class Member:
    def __init__(self, name, points, months, active=True):
        self.name = name
        self.points = points
        self.months = months
        self.active = active


class Program:
    def __init__(self, members):
        self.members = members

    def rewards(self):
        """Reward per active member, and the month's total."""
        paid = {}
        total = 0
        for member in self.members:
            if not member.active:
                continue
            reward = member.points // 10
            if member.points > 500:
                reward += 50
            if member.months >= 12:
                reward = reward * 2
            if reward > 1000:
                reward = 1000
            paid[member.name] = reward
            total += reward
        return paid, total

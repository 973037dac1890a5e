"""金城荟 community events: 城市集市, 邻里联赛, 工厂游, talks — place, time, capacity, sign-up and waitlist."""

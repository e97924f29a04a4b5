"""What the tests share: helpers, fakes and real servers; never a test module."""

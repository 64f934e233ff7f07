def from_brian2(*a, **k):
    raise NotImplementedError

from dashboard.line import ids


def test_user_id_shape():
    assert ids.is_user_id("U" + "0123456789abcdef" * 2)
    for bad in ("yamada", "U123", "U" + "A" * 32, "C" + "0" * 32, " U" + "0" * 32, None, 7,
                "U" + "0" * 32 + "\n", "U" + "0" * 33):
        assert not ids.is_user_id(bad), bad
    assert ids.is_group_id("C" + "f" * 32) and ids.is_room_id("R" + "1" * 32)


def test_invalid_user_ids_keeps_order_once():
    good = "U" + "0" * 32
    assert ids.invalid_user_ids([good, "x", "y", "x", good]) == ["x", "y"]

from dashboard import line_ids


def test_user_id_shape():
    assert line_ids.is_user_id("U" + "0123456789abcdef" * 2)
    for bad in ("yamada", "U123", "U" + "A" * 32, "C" + "0" * 32, " U" + "0" * 32, None, 7,
                "U" + "0" * 32 + "\n", "U" + "0" * 33):
        assert not line_ids.is_user_id(bad), bad
    assert line_ids.is_group_id("C" + "f" * 32) and line_ids.is_room_id("R" + "1" * 32)


def test_invalid_user_ids_keeps_order_once():
    good = "U" + "0" * 32
    assert line_ids.invalid_user_ids([good, "x", "y", "x", good]) == ["x", "y"]

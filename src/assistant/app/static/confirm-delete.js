(c, ok) => [c, confirm('Xoá hội thoại đang mở? Không thể hoàn tác.')]

(a, n, r, p, ok) => [a, n, r, p, confirm('Xoá người dùng ' + n + ' cùng các hội thoại của họ?')]

(a, n, r, p) => confirm('Xoá người dùng ' + n + ' cùng các hội thoại của họ?') ? [a, n, r, p] : [null, '', r, '']

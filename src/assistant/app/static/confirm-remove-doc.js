(doc, ok, search) => [doc, doc ? confirm('Xoá bài viết «' + doc + '» khỏi kho? Trợ lý sẽ không trả lời từ bài này nữa (tệp được giữ trong corpus/.removed/ để khôi phục).') : false, search]

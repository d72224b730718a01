# A slide for a class: names, the objects they name, and the memory under them.
nums = [1, 2, 3]
alias = nums
word = "memory" * 3
table = {"nums": nums, "word": word}
del alias
for i in range(3):
    nums.append(i * 10)
pair = (nums, word)
del table
print(len(pair[0]), word)
